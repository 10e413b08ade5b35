"""The periodic payout task's beat entry. Imported by settings, so it imports no models."""

from celery.schedules import crontab

PAYOUT_SCHEDULES = ("daily", "weekly", "monthly")


def payout_beat_entry(schedule: str, hour: int) -> dict:
    """CELERY_BEAT_SCHEDULE entries for PAYOUT_SCHEDULE (daily; weekly on Mondays; monthly on
    the 1st) at `hour` UTC."""
    cron = {
        "daily": crontab(minute=0, hour=hour),
        "weekly": crontab(minute=0, hour=hour, day_of_week=1),
        "monthly": crontab(minute=0, hour=hour, day_of_month=1),
    }[schedule]
    return {
        "payouts-scheduled-batches": {
            "task": "payouts.tasks.scheduled_batches_build",
            "schedule": cron,
            "options": {"queue": "payouts"},
        }
    }
