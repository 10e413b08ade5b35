"""Celery tasks that forget what is no longer needed, scheduled by beat (CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

from tracking.callbacks import retention
from tracking.clicks import retention as clicks_retention

logger = logging.getLogger(__name__)


@shared_task(name="tracking.tasks.retention.callback_inbox_refused_purge")
def callback_inbox_refused_purge() -> int:
    """Periodic: delete refused callbacks older than CALLBACK_REFUSED_KEEP_DAYS."""
    return retention.callback_inbox_refused_purge()


@shared_task(name="tracking.tasks.retention.click_retention_apply", ignore_result=True)
def click_retention_apply() -> int:
    """Hourly: truncate addresses and reduce user agents of clicks past CLICK_RETENTION_DAYS."""
    report = clicks_retention.click_retention_apply()
    if report.changed:
        logger.info("clicks retained", extra={"scanned": report.scanned, "changed": report.changed})
    return report.changed
