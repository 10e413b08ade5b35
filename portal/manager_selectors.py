"""Reads behind the manager desk, scoped by the owning apps' selectors (a manager sees all; any
other role reaching these gets nothing, though the views refuse them before)."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from affiliates.models import OfferAccess
from affiliates.selectors import (
    api_keys_visible_to,
    offer_accesses_visible_to,
    publishers_visible_to,
)
from offers.models import Advertiser, Offer
from offers.selectors import advertisers_visible_to, offers_visible_to
from portal.selectors import conversions_visible_to
from tracking.callbacks.selectors import callbacks_visible_to
from tracking.models import CallbackInbox, Conversion

SEARCHED = ("advertiser_txn_id", "click_id", "sub1", "sub2", "sub3", "sub4", "sub5")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def conversions_search(*, user: User, filters: dict[str, Any]) -> QuerySet[Conversion]:
    """Conversions matching the desk's filters, newest first. `q` is exact on the transaction
    id, the click id or any sub id (each indexed or small; a LIKE scan of millions is not)."""
    rows = conversions_visible_to(user=user).select_related("advertiser").order_by("-id")
    q = (filters.get("q") or "").strip()
    if q:
        match = Q()
        for name in SEARCHED:
            match |= Q(**{name: q})
        rows = rows.filter(match)
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("offer"):
        rows = rows.filter(offer=filters["offer"])
    if filters.get("publisher"):
        rows = rows.filter(publisher=filters["publisher"])
    if filters.get("date_from"):
        rows = rows.filter(created_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        rows = rows.filter(created_at__lt=_day_start(filters["date_to"] + timedelta(days=1)))
    return rows


def offers_for_desk(*, user: User, q: str = "") -> QuerySet[Offer]:
    rows = (
        offers_visible_to(user=user)
        .select_related("advertiser", "targeting")
        .annotate(goal_count=Count("goals", distinct=True))
        .order_by("name")
    )
    if q.strip():
        rows = rows.filter(Q(name__icontains=q.strip()) | Q(advertiser__name__icontains=q.strip()))
    return rows


def accesses_for_desk(*, user: User, filters: dict[str, Any]) -> QuerySet[OfferAccess]:
    rows = offer_accesses_visible_to(user=user).select_related(
        "offer", "offer__advertiser", "publisher", "decided_by"
    )
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("offer"):
        rows = rows.filter(offer=filters["offer"])
    if filters.get("publisher"):
        rows = rows.filter(publisher=filters["publisher"])
    return rows.order_by("-created_at", "-id")


def publishers_for_desk(*, user: User, q: str = "") -> QuerySet:
    rows = publishers_visible_to(user=user).annotate(user_count=Count("users")).order_by("name")
    return rows.filter(name__icontains=q.strip()) if q.strip() else rows


def advertisers_for_desk(*, user: User, q: str = "") -> QuerySet[Advertiser]:
    rows = (
        advertisers_visible_to(user=user)
        .annotate(offer_count=Count("offers", distinct=True))
        .order_by("name")
    )
    return rows.filter(name__icontains=q.strip()) if q.strip() else rows


def api_keys_of(*, user: User, owners: QuerySet[User]) -> QuerySet:
    """Keys of some users, as the viewer may see them (prefix only: the key itself is never
    stored, its SHA-256 is)."""
    return api_keys_visible_to(user=user).filter(user__in=owners).select_related("user")


REFUSED = ~Q(result__in=["", "converted", "approved", "pending"])


def callbacks_for_desk(
    *, user: User, refused_only: bool, advertiser_id: int | None, result: str
) -> QuerySet[CallbackInbox]:
    rows = callbacks_visible_to(user=user).select_related("advertiser").order_by("-id")
    if refused_only:
        rows = rows.filter(Q(state=CallbackInbox.State.REJECTED_AUTH) | REFUSED).exclude(
            state=CallbackInbox.State.RECEIVED
        )
    if advertiser_id:
        rows = rows.filter(advertiser_id=advertiser_id)
    if result:
        rows = rows.filter(result=result)
    return rows
