"""Celery tasks of the tracking app, one module per queue (see CELERY_TASK_ROUTES)."""

from tracking.tasks import attribution, callback_spool, clicks, postbacks

__all__ = ["attribution", "callback_spool", "clicks", "postbacks"]
