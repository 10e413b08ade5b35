"""Celery tasks: thin adapters that take ids and call services."""
