"""Terms: which figures a kind uses, what a conversion earns, and which terms are in force.

`terms_compute` is pure and is the only place revenue and payout are computed: each figure is
`amount + sale_amount * percent / 100` over the parts its kind uses, rounded ONCE with
`core.money.money_round` (docs/design.md, "Payout arithmetic"). `terms_in_force` picks what
applies to one publisher at one moment and freezes it, so attribution can snapshot it onto the
conversion: later edits of terms or overrides never change a conversion.
"""

from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q

from core.errors import DomainError
from core.money import money_round
from offers.models import Goal, PublisherOverride, Terms, TermsKind

# Which parts each kind uses. CPC's amount is per unique click, not per conversion.
FLAT_KINDS = frozenset({TermsKind.CPA_FLAT, TermsKind.CPA_PLUS_REVSHARE, TermsKind.CPC})
PERCENT_KINDS = frozenset({TermsKind.REVSHARE, TermsKind.CPA_PLUS_REVSHARE})
# Kinds paid for traffic, not for conversions: their amount is per unique click (CPC) or per
# thousand counted impressions (CPM), booked per day (tracking/traffic_booking.py).
TRAFFIC_KINDS = frozenset({TermsKind.CPC, TermsKind.CPM})
# How many units one amount of a traffic kind pays for.
TRAFFIC_PER = {TermsKind.CPC: 1, TermsKind.CPM: 1000}


class TermsNotSetError(DomainError):
    """The goal has no terms, so nothing can be computed for it."""


def kind_uses_amount(kind: str) -> bool:
    return kind in FLAT_KINDS or kind == TermsKind.CPM


def kind_is_traffic(kind: str) -> bool:
    return kind in TRAFFIC_KINDS


def pricing_model(*, terms_kind: str, goal_kind: str) -> str:
    """The pricing model's common name, from the terms' kind and what the goal measures: a flat
    amount per lead is CPL, a share of a sale is CPS, otherwise CPA, RevShare, CPC or CPM."""
    if terms_kind in (TermsKind.CPC, TermsKind.CPM):
        return str(terms_kind).upper()
    flat = "CPL" if goal_kind == Goal.Kind.LEAD else "CPA"
    share = "CPS" if goal_kind == Goal.Kind.SALE else "RevShare"
    if terms_kind == TermsKind.CPA_FLAT:
        return flat
    if terms_kind == TermsKind.REVSHARE:
        return share
    if terms_kind == TermsKind.CPA_PLUS_REVSHARE:
        return f"{flat} + {share}"
    return ""


def kind_uses_percent(kind: str) -> bool:
    return kind in PERCENT_KINDS


def _figure(
    *, kind: str, amount: Decimal, percent: Decimal, sale_amount: Decimal | None, currency: str
) -> Decimal:
    total = Decimal(0)
    if kind == TermsKind.CPM:
        # Per thousand impressions: a conversion on CPM terms earns nothing itself.
        return money_round(total, currency)
    if kind_uses_amount(kind):
        total += amount
    if kind_uses_percent(kind):
        # No sale amount on a share means nothing was sold: a share of nothing is nothing.
        total += (sale_amount or Decimal(0)) * percent / Decimal(100)
    return money_round(total, currency)


def terms_compute(
    *,
    revenue_kind: str,
    revenue_amount: Decimal,
    revenue_percent: Decimal,
    payout_kind: str,
    payout_amount: Decimal,
    payout_percent: Decimal,
    sale_amount: Decimal | None,
    currency: str,
) -> tuple[Decimal, Decimal]:
    """(revenue, payout) for one conversion (or one unique click for CPC), each rounded once."""
    revenue = _figure(
        kind=revenue_kind,
        amount=revenue_amount,
        percent=revenue_percent,
        sale_amount=sale_amount,
        currency=currency,
    )
    payout = _figure(
        kind=payout_kind,
        amount=payout_amount,
        percent=payout_percent,
        sale_amount=sale_amount,
        currency=currency,
    )
    return revenue, payout


@dataclass(frozen=True)
class FrozenTerms:
    """The terms one conversion is paid on, as they were when it was attributed.

    `source` says where the payout came from: "goal" (the goal's own terms), "offer_override"
    or "goal_override" (a publisher override, `override_id`).
    """

    goal_id: int
    offer_id: int
    currency: str
    revenue_kind: str
    revenue_amount: Decimal
    revenue_percent: Decimal
    payout_kind: str
    payout_amount: Decimal
    payout_percent: Decimal
    source: str = "goal"
    override_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready snapshot (decimals as strings, so nothing is lost to floats)."""
        return {
            key: str(value) if isinstance(value, Decimal) else value
            for key, value in asdict(self).items()
        }

    def compute(self, *, sale_amount: Decimal | None) -> tuple[Decimal, Decimal]:
        return terms_compute(
            revenue_kind=self.revenue_kind,
            revenue_amount=self.revenue_amount,
            revenue_percent=self.revenue_percent,
            payout_kind=self.payout_kind,
            payout_amount=self.payout_amount,
            payout_percent=self.payout_percent,
            sale_amount=sale_amount,
            currency=self.currency,
        )


def override_in_force(
    *, offer_id: int, goal_id: int, publisher_id: int, at: datetime
) -> PublisherOverride | None:
    """The publisher's override for this goal at `at`: goal-level beats offer-level.

    Validity is [valid_from, valid_to); overlapping windows on one target are refused on write,
    so at most one override per target is in force.
    """
    candidates = (
        PublisherOverride.objects.filter(publisher_id=publisher_id, offer_id=offer_id)
        .filter(Q(goal_id=goal_id) | Q(goal__isnull=True))
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=at))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
    )
    best = None
    for override in candidates:
        if override.goal_id is not None:
            return override
        best = override
    return best


def terms_in_force(*, goal: Goal, publisher_id: int, at: datetime) -> FrozenTerms:
    """What `publisher_id` is paid (and the advertiser pays) on `goal` at `at`, frozen.

    Revenue is always the goal's; the payout is the publisher's goal override, else its offer
    override, else the goal's own.
    """
    try:
        terms = goal.terms
    except Terms.DoesNotExist:
        raise TermsNotSetError(
            "terms_not_set", f"Goal {goal.pk} has no terms.", status_code=409
        ) from None
    frozen = FrozenTerms(
        goal_id=goal.pk,
        offer_id=goal.offer_id,
        currency=goal.offer.currency,
        revenue_kind=terms.revenue_kind,
        revenue_amount=terms.revenue_amount,
        revenue_percent=terms.revenue_percent,
        payout_kind=terms.payout_kind,
        payout_amount=terms.payout_amount,
        payout_percent=terms.payout_percent,
    )
    override = override_in_force(
        offer_id=goal.offer_id, goal_id=goal.pk, publisher_id=publisher_id, at=at
    )
    if override is None:
        return frozen
    return FrozenTerms(
        **{
            **asdict(frozen),
            "payout_kind": override.payout_kind,
            "payout_amount": override.payout_amount,
            "payout_percent": override.payout_percent,
            "source": "goal_override" if override.goal_id else "offer_override",
            "override_id": override.pk,
        }
    )
