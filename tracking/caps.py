"""Cap flags that the click redirect reads.

The truth of a cap is PostgreSQL: attribution counts conversions (or payout) atomically and,
after commit, calls `cap_reached_set` when a cap fills or frees. The redirect must not query
PostgreSQL, so it only reads these flags from Django's cache (Redis in production, locmem in the
embedded mode). A flag is keyed by the cap, its limit and the start of its period, so the flag
reopens by itself:

- when the period rolls: a new day (week, month) has a new key, and the old key expires a few
  seconds (FLAG_GRACE) after its period ends;
- when the limit is edited: the redirect's link snapshot (rebuilt every few seconds) names the new
  limit, whose key is not set; no signal from the offers app is needed;
- when a conversion stops counting (rejected, reversed, its payout lowered): tracking.hooks calls
  `cap_flags_refresh_after_commit`, which recounts the caps of its offer and sets or clears them.

A cap that counts clicks (Cap.counts) is flagged by the click ingester: after each batch,
`cap_click_flags_refresh` counts the period's clicks that reached the offer (unique, not bots) of
the batch's offers and raises the same flags, so the redirect turns visitors away with no
database read. A cap of one goal limits that goal's conversions at attribution only: the other
goals of the offer still convert, so it never turns visitors away. Impression caps limit what
the daily traffic booking pays (tracking/traffic_booking.py), not the pixel.

Which caps an offer has is read from PostgreSQL and kept in the cache for a few seconds
(CAPS_CACHE_SECONDS), so a new or deleted cap is seen by the redirect within that time.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q, Sum

from core.network_time import month_next, network_midnight, network_zone
from offers.models import Cap
from tracking.models import Click, Conversion

# Only these actions turn visitors away at the redirect; `hold` keeps sending them (the
# conversion is held for review instead).
REDIRECT_ACTIONS = (Cap.Action.FALLBACK, Cap.Action.REJECT)
CAPS_CACHE_SECONDS = 5
# A flag outlives its period by this much, so web nodes whose clocks are a little behind still
# see it; no longer, so a period that rolled reopens within seconds.
FLAG_GRACE = timedelta(seconds=5)
# Conversions that use up a cap: approved ones and those pending review, but not those held
# because a cap was already full (their reason is cap_reached).
CAP_COUNTED = Q(status__in=[Conversion.Status.APPROVED, Conversion.Status.PENDING]) & ~Q(
    reject_reason=Conversion.HoldReason.CAP_REACHED
)


def cap_period_start(*, period: str, now: datetime) -> datetime | None:
    """Start of the period that `now` falls in, in the network's time zone (NETWORK_TIME_ZONE:
    days begin at its midnight); None for a total cap. Weeks start Monday."""
    if period == Cap.Period.TOTAL:
        return None
    zone = network_zone()
    day = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    if period == Cap.Period.DAY:
        start = day
    elif period == Cap.Period.WEEK:
        start = day - timedelta(days=day.weekday())
    elif period == Cap.Period.MONTH:
        start = day.replace(day=1)
    else:
        raise ValueError(f"unknown cap period {period!r}")
    # Wall-clock arithmetic in the zone, then the instant (a day may be 23 or 25 hours long).
    return network_midnight(start.date())


def cap_period_end(*, period: str, start: datetime | None) -> datetime | None:
    if start is None:
        return None
    first = start.astimezone(network_zone()).date()
    if period == Cap.Period.DAY:
        return network_midnight(first + timedelta(days=1))
    if period == Cap.Period.WEEK:
        return network_midnight(first + timedelta(days=7))
    if period == Cap.Period.MONTH:
        return network_midnight(month_next(first))
    raise ValueError(f"unknown cap period {period!r}")


def cap_limit_stamp(limit: Decimal | str | None) -> str:
    """The limit as it appears in a flag key: the same text whoever formats it."""
    if limit is None:
        return "-"
    return format(Decimal(str(limit)).quantize(Decimal("0.01")), "f")


def cap_flag_key(*, cap_id: int, period_start: datetime | None, limit: Decimal | str | None) -> str:
    if period_start is None:
        stamp = "total"
    else:
        stamp = period_start.astimezone(network_zone()).strftime("%Y%m%d")
    return f"cap:reached:{cap_id}:{cap_limit_stamp(limit)}:{stamp}"


def cap_reached_set(
    *,
    cap_id: int,
    period_start: datetime | None,
    reached: bool,
    limit: Decimal | None = None,
) -> None:
    """Raise (or lower) the flag of one cap, at `limit` (default: its limit now), for one
    period. Called after commit. A deleted cap has no flag to set; nor has a cap of one goal
    or of impressions, which never turn visitors away (the redirect's snapshot may list them)."""
    row = Cap.objects.filter(id=cap_id).values_list("period", "limit", "goal_id", "counts").first()
    if row is None:
        return
    period, current_limit, goal_id, counts = row
    if goal_id is not None or counts == Cap.Counts.IMPRESSIONS:
        return
    key = cap_flag_key(
        cap_id=cap_id, period_start=period_start, limit=current_limit if limit is None else limit
    )
    if not reached:
        cache.delete(key)
        return
    end = cap_period_end(period=period, start=period_start)
    if end is None:
        timeout = None  # a total cap stays reached until someone frees it
    else:
        timeout = max(1, int((end + FLAG_GRACE - datetime.now(UTC)).total_seconds()))
    # An int is stored as plain digits by Django's Redis serializer, so the lean redirect can
    # read the flag with a raw GET.
    cache.set(key, 1, timeout=timeout)


def cap_usage(*, cap: Cap, period_start: datetime | None) -> tuple[int, Decimal]:
    """(count, payout total) of the conversions counted against `cap` in its period."""
    if cap.counts == Cap.Counts.CLICKS:
        return cap_clicks_used(cap=cap, period_start=period_start), Decimal(0)
    used = Conversion.objects.filter(CAP_COUNTED, offer_id=cap.offer_id)
    if cap.publisher_id is not None:
        used = used.filter(publisher_id=cap.publisher_id)
    if cap.goal_id is not None:
        used = used.filter(goal_id=cap.goal_id)
    if period_start is not None:
        used = used.filter(created_at__gte=period_start)
    totals = used.aggregate(count=Count("id"), payout=Sum("payout"))
    return totals["count"], totals["payout"] or Decimal(0)


def cap_clicks_used(*, cap: Cap, period_start: datetime | None) -> int:
    """The clicks a click cap counts: unique, not bots, sent to the offer (not the fallback)."""
    used = Click.objects.filter(
        offer_id=cap.offer_id, is_unique=True, is_bot=False, fallback_reason=""
    )
    if cap.publisher_id is not None:
        used = used.filter(publisher_id=cap.publisher_id)
    if period_start is not None:
        used = used.filter(created_at__gte=period_start)
    return used.count()


def cap_click_flags_refresh(*, clicks: list[Click], now: datetime | None = None) -> None:
    """After a batch of clicks was ingested: raise the flags of the click caps it filled (the
    offers and publishers of the batch only), once the batch commits."""
    pairs = {(click.offer_id, click.publisher_id) for click in clicks}
    if not pairs:
        return
    now = now or datetime.now(UTC)
    caps = Cap.objects.filter(
        offer_id__in={offer_id for offer_id, _ in pairs},
        counts=Cap.Counts.CLICKS,
        action__in=REDIRECT_ACTIONS,
    )
    reached: list[tuple[int, datetime | None, Decimal]] = []
    for cap in caps:
        if cap.publisher_id is not None and (cap.offer_id, cap.publisher_id) not in pairs:
            continue
        start = cap_period_start(period=cap.period, now=now)
        if cap_clicks_used(cap=cap, period_start=start) >= cap.limit:
            reached.append((cap.pk, start, cap.limit))
    for cap_id, start, limit in reached:
        transaction.on_commit(
            lambda cap_id=cap_id, start=start, limit=limit: cap_reached_set(
                cap_id=cap_id, period_start=start, reached=True, limit=limit
            )
        )


def cap_flags_refresh(*, offer_id: int, publisher_id: int, now: datetime | None = None) -> None:
    """Set or clear, from PostgreSQL's counts, the current flags of the offer's caps that apply
    to this publisher and turn visitors away."""
    now = now or datetime.now(UTC)
    caps = Cap.objects.filter(
        Q(publisher_id__isnull=True) | Q(publisher_id=publisher_id),
        offer_id=offer_id,
        action__in=REDIRECT_ACTIONS,
        counts=Cap.Counts.CONVERSIONS,
        goal__isnull=True,
    )
    for cap in caps:
        start = cap_period_start(period=cap.period, now=now)
        count, payout = cap_usage(cap=cap, period_start=start)
        used = payout if cap.metric == Cap.Metric.PAYOUT else Decimal(count)
        cap_reached_set(
            cap_id=cap.pk, period_start=start, reached=used >= cap.limit, limit=cap.limit
        )


def cap_flags_refresh_after_commit(*, conversion: Conversion) -> None:
    """After a conversion changed by hand (rejected, reversed, adjusted, approved): its offer's
    flags follow the new counts once the change is committed."""
    offer_id, publisher_id = conversion.offer_id, conversion.publisher_id
    transaction.on_commit(lambda: cap_flags_refresh(offer_id=offer_id, publisher_id=publisher_id))


def caps_for_redirect(*, offer_id: int) -> list[tuple[int, int | None, str, str]]:
    """(cap id, publisher id or None, period, limit stamp) of the offer's caps that turn
    visitors away.

    Cached for CAPS_CACHE_SECONDS: the redirect asks on every click.
    """
    key = f"cap:list:{offer_id}"
    found = cache.get(key)
    if found is None:
        found = [
            (cap_id, publisher_id, period, cap_limit_stamp(limit))
            for cap_id, publisher_id, period, limit in Cap.objects.filter(
                offer_id=offer_id,
                action__in=REDIRECT_ACTIONS,
                counts__in=[Cap.Counts.CONVERSIONS, Cap.Counts.CLICKS],
                goal__isnull=True,
            ).values_list("id", "publisher_id", "period", "limit")
        ]
        cache.set(key, found, timeout=CAPS_CACHE_SECONDS)
    return found


def cap_flag_keys(
    *, caps: list[tuple[int, int | None, str, str]], publisher_id: int, now: datetime
) -> list[str]:
    """Flag keys that, if any is set, mean this publisher's visitor is over a cap now."""
    return [
        cap_flag_key(
            cap_id=cap_id, period_start=cap_period_start(period=period, now=now), limit=limit
        )
        for cap_id, cap_publisher_id, period, limit in caps
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
