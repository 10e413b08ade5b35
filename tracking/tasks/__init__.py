"""Celery tasks of the tracking app, one module per queue (see CELERY_TASK_ROUTES); retention
runs on the default queue."""

from tracking.tasks import attribution, callback_spool, clicks, postbacks, retention

__all__ = ["attribution", "callback_spool", "clicks", "postbacks", "retention"]
