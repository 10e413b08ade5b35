"""Cap flags that the click redirect reads.

The truth of a cap is PostgreSQL: attribution counts conversions (or payout) atomically and,
after commit, calls `cap_reached_set` when a cap fills or frees. The redirect must not query
PostgreSQL, so it only reads these flags from Django's cache (Redis in production, locmem in the
embedded mode). A flag is keyed by the cap and the start of its period, so a new day (week,
month) starts with no flag without anyone clearing the old one; its TTL runs past the period end
so it expires by itself.

Which caps an offer has is read from PostgreSQL and kept in the cache for a few seconds
(CAPS_CACHE_SECONDS), so a new or deleted cap is seen by the redirect within that time.
"""

from datetime import UTC, datetime, timedelta

from django.core.cache import cache

from offers.models import Cap

# Only these actions turn visitors away at the redirect; `hold` keeps sending them (the
# conversion is held for review instead).
REDIRECT_ACTIONS = (Cap.Action.FALLBACK, Cap.Action.REJECT)
CAPS_CACHE_SECONDS = 5
# A flag outlives its period by this much, so clocks a little apart still agree.
FLAG_GRACE = timedelta(hours=1)


def cap_period_start(*, period: str, now: datetime) -> datetime | None:
    """Start (UTC) of the period that `now` falls in; None for a total cap. Weeks start Monday."""
    if period == Cap.Period.TOTAL:
        return None
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == Cap.Period.DAY:
        return day
    if period == Cap.Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period == Cap.Period.MONTH:
        return day.replace(day=1)
    raise ValueError(f"unknown cap period {period!r}")


def cap_period_end(*, period: str, start: datetime | None) -> datetime | None:
    if start is None:
        return None
    if period == Cap.Period.DAY:
        return start + timedelta(days=1)
    if period == Cap.Period.WEEK:
        return start + timedelta(days=7)
    if period == Cap.Period.MONTH:
        return (start + timedelta(days=32)).replace(day=1)
    raise ValueError(f"unknown cap period {period!r}")


def cap_flag_key(*, cap_id: int, period_start: datetime | None) -> str:
    stamp = "total" if period_start is None else period_start.astimezone(UTC).strftime("%Y%m%d")
    return f"cap:reached:{cap_id}:{stamp}"


def cap_reached_set(*, cap_id: int, period_start: datetime | None, reached: bool) -> None:
    """Raise (or lower) the flag of one cap for one period. Called after commit."""
    key = cap_flag_key(cap_id=cap_id, period_start=period_start)
    if not reached:
        cache.delete(key)
        return
    period = _period_of_flag(period_start=period_start, cap_id=cap_id)
    end = cap_period_end(period=period, start=period_start) if period else None
    if end is None:
        timeout = None  # a total cap stays reached until someone frees it
    else:
        timeout = max(1, int((end + FLAG_GRACE - datetime.now(UTC)).total_seconds()))
    # An int is stored as plain digits by Django's Redis serializer, so the lean redirect can
    # read the flag with a raw GET.
    cache.set(key, 1, timeout=timeout)


def _period_of_flag(*, period_start: datetime | None, cap_id: int) -> str | None:
    if period_start is None:
        return None
    # The flag's lifetime depends on the cap's period; a deleted cap gets the longest one.
    period = Cap.objects.filter(id=cap_id).values_list("period", flat=True).first()
    return period or Cap.Period.MONTH


def caps_for_redirect(*, offer_id: int) -> list[tuple[int, int | None, str]]:
    """(cap id, publisher id or None, period) of the offer's caps that turn visitors away.

    Cached for CAPS_CACHE_SECONDS: the redirect asks on every click.
    """
    key = f"cap:list:{offer_id}"
    found = cache.get(key)
    if found is None:
        found = [
            (cap_id, publisher_id, period)
            for cap_id, publisher_id, period in Cap.objects.filter(
                offer_id=offer_id, action__in=REDIRECT_ACTIONS
            ).values_list("id", "publisher_id", "period")
        ]
        cache.set(key, found, timeout=CAPS_CACHE_SECONDS)
    return found


def cap_flag_keys(
    *, caps: list[tuple[int, int | None, str]], publisher_id: int, now: datetime
) -> list[str]:
    """Flag keys that, if any is set, mean this publisher's visitor is over a cap now."""
    return [
        cap_flag_key(cap_id=cap_id, period_start=cap_period_start(period=period, now=now))
        for cap_id, cap_publisher_id, period in caps
        if cap_publisher_id is None or cap_publisher_id == publisher_id
    ]


def cap_is_reached(*, offer_id: int, publisher_id: int, now: datetime) -> bool:
    """Whether a cap of the offer (global, or this publisher's) with action fallback or reject
    has its flag set for the current period."""
    keys = cap_flag_keys(
        caps=caps_for_redirect(offer_id=offer_id), publisher_id=publisher_id, now=now
    )
    if not keys:
        return False
    return any(cache.get_many(keys).values())
