"""Billing periods and budget periods, in the network's time zone (settings.NETWORK_TIME_ZONE)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


def network_zone() -> ZoneInfo:
    return ZoneInfo(settings.NETWORK_TIME_ZONE)


def day_start(day: date) -> datetime:
    """The instant (UTC) a day of the network's calendar begins."""
    return datetime.combine(day, time.min, tzinfo=network_zone()).astimezone(UTC)


def month_first(day: date) -> date:
    return day.replace(day=1)


def month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def network_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(network_zone()).date()


def budget_period_start(*, period: str, now: datetime | None = None) -> datetime:
    """Start (UTC) of the day or month that `now` falls in, on the network's calendar."""
    today = network_today(now)
    return day_start(today if period == "day" else month_first(today))
