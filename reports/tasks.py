"""Periodic report tasks (beat: config/settings.py)."""

from celery import shared_task

from reports.quality import quality_auto_pause


@shared_task(name="reports.tasks.quality_auto_pause")
def quality_auto_pause_task() -> list[int]:
    """Pause publishers above the flagged-conversion threshold (FRAUD_AUTO_PAUSE). Idempotent:
    only active publishers are paused, so a repeated or overlapping run pauses nobody twice."""
    return quality_auto_pause()
