"""The network's time zone: where its days and months begin.

Caps (per day, week, month), accounting periods and the default report ranges all count in
NETWORK_TIME_ZONE (settings; UTC by default), so "the month of March" means the same instants to
the cap that fills in it, the period finance closes and the report that sums it. Instants are
stored in UTC; only the boundaries are computed here.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def network_zone() -> ZoneInfo:
    """NETWORK_TIME_ZONE as a ZoneInfo (validated when settings load)."""
    return _zone(settings.NETWORK_TIME_ZONE)


def network_today(*, now: datetime) -> date:
    """The network's calendar date at `now`."""
    return now.astimezone(network_zone()).date()


def network_midnight(day: date) -> datetime:
    """The instant (UTC) the network's `day` begins. Wall-clock midnight, so a day across a
    daylight-saving change lasts 23 or 25 hours."""
    return datetime.combine(day, time(0), tzinfo=network_zone()).astimezone(UTC)


def month_first(day: date) -> date:
    return day.replace(day=1)


def month_next(month: date) -> date:
    """The first day of the month after `month`'s."""
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


def month_of(*, at: datetime) -> date:
    """The first day of the network month `at` falls in."""
    return month_first(network_today(now=at))


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the network month whose first day is `month`."""
    return network_midnight(month_first(month)), network_midnight(month_next(month))
