"""Which offers pause for money: the advertiser's funds used up, or the offer's revenue budget
for the day or month reached. Recorded as offers.OfferHold rows, which the redirect reads from
its link snapshot (rebuilt every CLICK_LINK_CACHE_SECONDS), so no click queries PostgreSQL.

Funds, per advertiser and currency with a FundsLimit row:
    available = credit_limit + top-ups + payments received (not those settled from top-ups)
                - revenue booked (approved and pending conversions)
and its offers in that currency are held while available <= 0. A budget holds its offer while
the revenue booked since the start of the day or month (network time zone) reaches it.

Recomputed whole (set-based, one query per kind) by the beat every BILLING_HOLDS_REFRESH_SECONDS
and after every top-up, payment, limit or budget change, so a hold follows revenue within
seconds and lifts as soon as money arrives. Idempotent: holds are replaced as a set.
"""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum

from accounts.policy import Action, policy_require
from billing.models import FundsLimit, Payment, RevenueBudget, TopUp
from billing.periods import budget_period_start
from core.errors import DomainError
from core.money import money_round
from offers.holds import offer_holds_replace
from offers.models import Offer, OfferHold
from tracking.models import Conversion

BOOKED = Q(status__in=[Conversion.Status.APPROVED, Conversion.Status.PENDING])


def advertiser_funds(*, advertiser_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Per advertiser and currency with funds control: limit, received, booked, available."""
    limits = FundsLimit.objects.all()
    if advertiser_ids is not None:
        limits = limits.filter(advertiser_id__in=advertiser_ids)
    rows = list(limits.values("advertiser_id", "currency", "credit_limit"))
    if not rows:
        return []
    ids = {row["advertiser_id"] for row in rows}
    received: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for key, amount in (
        *(
            ((a, c), s)
            for a, c, s in TopUp.objects.filter(advertiser_id__in=ids)
            .values_list("advertiser_id", "currency")
            .annotate(s=Sum("amount"))
        ),
        *(
            ((a, c), s)
            for a, c, s in Payment.objects.filter(
                invoice__advertiser_id__in=ids, source=Payment.Source.TRANSFER
            )
            .values_list("invoice__advertiser_id", "currency")
            .annotate(s=Sum("amount"))
        ),
    ):
        received[key] += amount
    booked = {
        (a, c): s
        for a, c, s in Conversion.objects.filter(BOOKED, advertiser_id__in=ids)
        .values_list("advertiser_id", "currency")
        .annotate(s=Sum("revenue"))
    }
    out = []
    for row in rows:
        key = (row["advertiser_id"], row["currency"])
        got = received.get(key, Decimal(0))
        used = money_round(booked.get(key) or Decimal(0), row["currency"])
        available = row["credit_limit"] + got - used
        out.append({**row, "received": got, "booked": used, "available": available})
    return out


def _funds_held_offers() -> set[int]:
    exhausted = [
        (row["advertiser_id"], row["currency"])
        for row in advertiser_funds()
        if row["available"] <= 0
    ]
    if not exhausted:
        return set()
    match = Q()
    for advertiser_id, currency in exhausted:
        match |= Q(advertiser_id=advertiser_id, currency=currency)
    return set(Offer.objects.filter(match).values_list("id", flat=True))


def _budget_held_offers(now: datetime | None = None) -> set[int]:
    held = set()
    budgets = list(RevenueBudget.objects.values_list("offer_id", "period", "amount"))
    for period in {period for _, period, _ in budgets}:
        offer_ids = [offer_id for offer_id, p, _ in budgets if p == period]
        booked = dict(
            Conversion.objects.filter(
                BOOKED,
                offer_id__in=offer_ids,
                created_at__gte=budget_period_start(period=period, now=now),
            )
            .values_list("offer_id")
            .annotate(s=Sum("revenue"))
        )
        held |= {
            offer_id
            for offer_id, p, amount in budgets
            if p == period and (booked.get(offer_id) or 0) >= amount
        }
    return held


def billing_holds_refresh(*, now: datetime | None = None) -> dict[str, tuple[set, set]]:
    """Recompute every billing hold; returns, per reason, (offers held now, offers resumed)."""
    return {
        OfferHold.Reason.FUNDS_EXHAUSTED: offer_holds_replace(
            reason=OfferHold.Reason.FUNDS_EXHAUSTED, offer_ids=_funds_held_offers()
        ),
        OfferHold.Reason.BUDGET_REACHED: offer_holds_replace(
            reason=OfferHold.Reason.BUDGET_REACHED, offer_ids=_budget_held_offers(now)
        ),
    }


def billing_holds_refresh_after_commit() -> None:
    transaction.on_commit(billing_holds_refresh)


def revenue_budget_set(
    *, offer_id: int, period: str, amount: Decimal | None, set_by: Any
) -> RevenueBudget | None:
    """Set (or, with None, remove) an offer's revenue budget for a day or a month."""
    policy_require(action=Action.OFFER_BUDGET_SET, user=set_by)
    if period not in RevenueBudget.Period.values:
        raise DomainError.for_field("period", "invalid", "The period is day or month.")
    currency = Offer.objects.filter(id=offer_id).values_list("currency", flat=True).first()
    if currency is None:
        raise DomainError.for_field("offer", "does_not_exist", f"No offer {offer_id}.")
    with transaction.atomic():
        if amount is None:
            RevenueBudget.objects.filter(offer_id=offer_id, period=period).delete()
            row = None
        else:
            # Positive once rounded to the currency's minor unit (0.0001 USD is 0.00: refused,
            # not left to the table's check constraint as a 500).
            if not amount.is_finite() or money_round(amount, currency) <= 0:
                raise DomainError.for_field(
                    "amount", "invalid", f"The budget must be at least one {currency} minor unit."
                )
            row, _ = RevenueBudget.objects.update_or_create(
                offer_id=offer_id,
                period=period,
                defaults={"amount": money_round(amount, currency), "updated_by": set_by},
            )
        billing_holds_refresh_after_commit()
    return row
