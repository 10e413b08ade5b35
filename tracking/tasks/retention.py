"""Celery tasks that forget what is no longer needed, scheduled by beat (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from tracking.callbacks import retention


@shared_task(name="tracking.tasks.retention.callback_inbox_refused_purge")
def callback_inbox_refused_purge() -> int:
    """Periodic: delete refused callbacks older than CALLBACK_REFUSED_KEEP_DAYS."""
    return retention.callback_inbox_refused_purge()
