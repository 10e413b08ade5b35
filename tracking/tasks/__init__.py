"""Celery tasks of the tracking app, one module per queue (see CELERY_TASK_ROUTES); retention
runs on the default queue.

The package imports none of its modules: a service that sends a task imports that task's module
(attribution's services send postbacks), and importing every module here would make each such
service import every task module, its own callers included. The worker loads them all through
config/celery.py (TRACKING_TASK_MODULES).
"""
