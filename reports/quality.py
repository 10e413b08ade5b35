"""The publisher quality report: per day, publisher, offer and sub id, how many clicks and
conversions each signal flagged, and how many conversions the advertiser rejected or reversed.

A click counts as flagged by a signal when its stored value reaches the network default
threshold (fraud/signals.py); a conversion when the signal is among the rules that fired for it
(`Conversion.fraud["fired"]`, offer rules included). Read from the click and conversion rows
with conditional counts, over a bounded window (QUALITY_MAX_DAYS).

`quality_auto_pause` suspends publishers whose flagged share of conversions is above
FRAUD_AUTO_PAUSE_FLAGGED_PERCENT (off unless FRAUD_AUTO_PAUSE): run hourly by beat.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import user_role
from affiliates.models import Publisher
from core.errors import DomainError, ForbiddenError
from core.validation import whole_number
from fraud.signals import REGISTRY
from tracking.models import Click, Conversion
from tracking.result_codes import RejectReason

logger = logging.getLogger(__name__)

QUALITY_MAX_DAYS = 92
ADVERTISER_REJECTED = Q(reject_reason=RejectReason.ADVERTISER_REJECTED) | Q(
    status=Conversion.Status.REVERSED
)
FLAGGED_ACTIONS = ("flag", "hold", "reject")


@dataclass(frozen=True)
class QualityQuery:
    date_from: dt.date
    date_to: dt.date
    publisher_id: int | None = None
    offer_id: int | None = None


def _date(params: Mapping[str, Any], name: str, default: dt.date) -> dt.date:
    raw = params.get(name)
    if raw is None:
        return default
    try:  # an empty date is refused, as the schema types it (found by `make fuzz`)
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise DomainError.for_field(name, "invalid", "A date, YYYY-MM-DD.") from None


def _id(params: Mapping[str, Any], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    number = whole_number(str(raw))
    if number is None:
        raise DomainError.for_field(name, "invalid", "A whole number.")
    return number


def quality_query_parse(*, params: Mapping[str, Any]) -> QualityQuery:
    today = timezone.now().date()
    date_to = _date(params, "date_to", today)
    week = dt.timedelta(days=6)
    # The week before date_to by default, from the first day there is (year 1 has no week before).
    date_from = _date(params, "date_from", max(date_to, dt.date.min + week) - week)
    if date_from > date_to:
        raise DomainError.for_field("date_from", "invalid", "date_from is after date_to.")
    if (date_to - date_from).days >= QUALITY_MAX_DAYS:
        raise DomainError.for_field(
            "date_from", "too_long", f"At most {QUALITY_MAX_DAYS} days at once."
        )
    return QualityQuery(
        date_from=date_from,
        date_to=date_to,
        publisher_id=_id(params, "publisher"),
        offer_id=_id(params, "offer"),
    )


def _click_flag(name: str, threshold: Any) -> Q:
    if isinstance(threshold, bool | str):
        return Q(**{f"signals__{name}": threshold})
    return Q(**{f"signals__{name}__gte": threshold})


def _conversion_flag(name: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(fraud__fired__contains=[{"signal": name}])
    # SQLite (the embedded mode) has no JSON containment: match the stored text.
    return Q(fraud__icontains=f'"signal": "{name}"')


def _window(query: QualityQuery) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(query.date_from, dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(query.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return start, end


def _scope(user: User, query: QualityQuery) -> QualityQuery:
    """Staff see every publisher; a publisher user only its own rows; nobody else any."""
    role = user_role(user)
    if role in (Role.MANAGER, Role.FINANCE):
        return query
    if role == Role.PUBLISHER and user.publisher_id:
        if query.publisher_id not in (None, user.publisher_id):
            raise ForbiddenError("forbidden", "A publisher sees its own quality only.")
        return QualityQuery(query.date_from, query.date_to, user.publisher_id, query.offer_id)
    raise ForbiddenError("forbidden", "The quality report is for managers and publishers.")


def quality_report(*, user: User, query: QualityQuery) -> list[dict[str, Any]]:
    """Rows by day, publisher, offer and sub id (sub1), oldest day first."""
    query = _scope(user, query)
    start, end = _window(query)
    where = Q(created_at__gte=start, created_at__lt=end)
    if query.publisher_id is not None:
        where &= Q(publisher_id=query.publisher_id)
    if query.offer_id is not None:
        where &= Q(offer_id=query.offer_id)
    keys = ("day", "publisher_id", "offer_id", "sub1")
    click_signals = {n: s.threshold for n, s in REGISTRY.items() if s.stage == "click"}
    clicks = (
        Click.objects.filter(where)
        .annotate(day=TruncDate("created_at", tzinfo=dt.UTC))
        .values(*keys)
        .annotate(
            clicks=Count("id"),
            **{
                f"c_{name}": Count("id", filter=_click_flag(name, threshold))
                for name, threshold in click_signals.items()
            },
        )
    )
    conversions = (
        Conversion.objects.filter(where)
        .annotate(day=TruncDate("created_at", tzinfo=dt.UTC))
        .values(*keys)
        .annotate(
            conversions=Count("id"),
            advertiser_rejected=Count("id", filter=ADVERTISER_REJECTED),
            **{f"v_{name}": Count("id", filter=_conversion_flag(name)) for name in REGISTRY},
        )
    )
    rows: dict[tuple, dict[str, Any]] = {}

    def row_for(item: dict[str, Any]) -> dict[str, Any]:
        key = tuple(item[k] for k in keys)
        return rows.setdefault(
            key,
            {
                "day": item["day"],
                "publisher": item["publisher_id"],
                "offer": item["offer_id"],
                "sub1": item["sub1"],
                "clicks": 0,
                "conversions": 0,
                "advertiser_rejected": 0,
                "flagged_clicks": {},
                "flagged_conversions": {},
            },
        )

    for item in clicks:
        row = row_for(item)
        row["clicks"] = item["clicks"]
        row["flagged_clicks"] = {
            name: item[f"c_{name}"] for name in click_signals if item[f"c_{name}"]
        }
    for item in conversions:
        row = row_for(item)
        row["conversions"] = item["conversions"]
        row["advertiser_rejected"] = item["advertiser_rejected"]
        row["flagged_conversions"] = {
            name: item[f"v_{name}"] for name in REGISTRY if item[f"v_{name}"]
        }
    result = []
    for key in sorted(rows, key=lambda k: (k[0], k[1], k[2], k[3])):
        row = rows[key]
        row["flagged_click_share"] = {
            name: round(count / row["clicks"], 4) for name, count in row["flagged_clicks"].items()
        }
        row["flagged_conversion_share"] = {
            name: round(count / row["conversions"], 4)
            for name, count in row["flagged_conversions"].items()
        }
        row["advertiser_rejection_rate"] = (
            round(row["advertiser_rejected"] / row["conversions"], 4)
            if row["conversions"]
            else None
        )
        result.append(row)
    return result


# Automatic pause -------------------------------------------------------------------------------


def quality_publishers_over_threshold(*, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Active publishers whose share of conversions a fraud rule fired for (flag, hold or
    reject) over the window is at least the threshold, with at least the minimum volume."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=settings.FRAUD_AUTO_PAUSE_WINDOW_DAYS)
    active = Publisher.objects.filter(status=Publisher.Status.ACTIVE).values("id")
    totals = (
        Conversion.objects.filter(created_at__gte=since, publisher_id__in=active)
        .values("publisher_id")
        .annotate(
            conversions=Count("id"),
            flagged=Count("id", filter=Q(fraud__action__in=FLAGGED_ACTIONS)),
        )
        .filter(conversions__gte=settings.FRAUD_AUTO_PAUSE_MIN_CONVERSIONS)
    )
    percent = settings.FRAUD_AUTO_PAUSE_FLAGGED_PERCENT
    return [
        {
            "publisher": row["publisher_id"],
            "conversions": row["conversions"],
            "flagged": row["flagged"],
        }
        for row in totals
        if row["flagged"] * 100 >= percent * row["conversions"]
    ]


def quality_auto_pause(*, now: dt.datetime | None = None) -> list[int]:
    """Suspend the publishers over the threshold (FRAUD_AUTO_PAUSE on); their ids. Idempotent:
    a suspended publisher is no longer active, so a second run pauses nobody again. A manager
    reactivates a publisher by setting its status back."""
    if not settings.FRAUD_AUTO_PAUSE:
        return []
    paused = []
    for row in quality_publishers_over_threshold(now=now):
        with transaction.atomic():
            changed = Publisher.objects.filter(
                id=row["publisher"], status=Publisher.Status.ACTIVE
            ).update(status=Publisher.Status.SUSPENDED, updated_at=timezone.now())
        if changed:
            paused.append(row["publisher"])
            logger.warning(
                "publisher %s paused by the quality check: %s of %s conversions flagged",
                row["publisher"],
                row["flagged"],
                row["conversions"],
            )
    return paused
