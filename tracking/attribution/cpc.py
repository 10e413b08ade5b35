"""CPC money: unique, non-bot clicks on CPC terms earn without any callback.

Called by the click ingester (through tracking.hooks.after_clicks_ingested) inside the
transaction that inserted the clicks, with only the clicks that batch really inserted.

- `cpc_clicks_price` says what each paying click is worth: revenue when the goal's revenue side
  is CPC (what the advertiser pays per click), payout when the payout side is (the publisher's,
  after overrides). The reports add both to the click's rollup rows (reports.services), so
  revenue, payout, profit and EPC include CPC money.
- `cpc_clicks_earn` books the payout in the ledger: one earning per publisher, offer and hour of
  the batch, count x per-click payout, rounded once (payouts.ledger.ledger_book_cpc_hour).
  The idempotency key names the smallest click id of the group, so a re-run of the same batch
  (a retried transaction) books nothing new, while a later batch in the same hour, with other
  clicks, books its own entry.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Q

from offers.models import Goal, TermsKind
from offers.terms import TermsNotSetError, terms_in_force
from payouts.ledger import ledger_book_cpc_hour
from tracking.models import Click

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class CpcMoney:
    """What one click earned, in its offer's currency (unrounded: the ledger rounds per group)."""

    currency: str
    revenue: Decimal
    payout: Decimal


def _cpc_goals(offer_ids: set[int]) -> dict[int, Goal]:
    """Per offer, the goal whose terms pay or charge per click (the default goal first)."""
    found: dict[int, Goal] = {}
    goals = (
        Goal.objects.filter(
            Q(terms__payout_kind=TermsKind.CPC) | Q(terms__revenue_kind=TermsKind.CPC),
            offer_id__in=offer_ids,
        )
        .select_related("terms", "offer")
        .order_by("-is_default", "id")
    )
    for goal in goals:
        found.setdefault(goal.offer_id, goal)
    return found


def _groups(
    clicks: list[Click],
) -> tuple[dict[tuple[int, int, datetime], list[Click]], dict[int, Goal]]:
    """Paying clicks by (publisher, offer, hour), clicks of offers without CPC terms left out;
    and the CPC goal of each offer."""
    paying = [c for c in clicks if c.is_unique and not c.is_bot and not c.fallback_reason]
    goals = _cpc_goals({c.offer_id for c in paying}) if paying else {}
    groups: dict[tuple[int, int, datetime], list[Click]] = defaultdict(list)
    for click in paying:
        if click.offer_id in goals:
            hour = click.created_at.replace(minute=0, second=0, microsecond=0)
            groups[(click.publisher_id, click.offer_id, hour)].append(click)
    return groups, goals


def cpc_clicks_price(*, clicks: list[Click]) -> dict[str, CpcMoney]:
    """Click id -> what the click earned, for the paying clicks of CPC goals only."""
    groups, goals = _groups(clicks)
    priced: dict[str, CpcMoney] = {}
    for (publisher_id, offer_id, hour), members in groups.items():
        try:
            terms = terms_in_force(goal=goals[offer_id], publisher_id=publisher_id, at=hour)
        except TermsNotSetError:
            continue
        revenue = terms.revenue_amount if terms.revenue_kind == TermsKind.CPC else ZERO
        # A publisher's override may pay per conversion instead: then no CPC payout.
        payout = terms.payout_amount if terms.payout_kind == TermsKind.CPC else ZERO
        if not revenue and not payout:
            continue
        money = CpcMoney(currency=terms.currency, revenue=revenue, payout=payout)
        for click in members:
            priced[click.click_id] = money
    return priced


def cpc_clicks_earn(*, clicks: list[Click], priced: dict[str, CpcMoney] | None = None) -> int:
    """Book the CPC earnings of freshly ingested clicks. Returns the ledger entries written.

    `priced` is cpc_clicks_price(clicks) when the caller has it already.
    """
    if priced is None:
        priced = cpc_clicks_price(clicks=clicks)
    groups: dict[tuple[int, int, datetime], list[Click]] = defaultdict(list)
    for click in clicks:
        money = priced.get(click.click_id)
        if money is not None and money.payout:
            hour = click.created_at.replace(minute=0, second=0, microsecond=0)
            groups[(click.publisher_id, click.offer_id, hour)].append(click)
    written = 0
    for (publisher_id, offer_id, hour), members in sorted(groups.items()):
        money = priced[members[0].click_id]
        booked = ledger_book_cpc_hour(
            publisher_id=publisher_id,
            offer_id=offer_id,
            hour=hour,
            first_click_id=min(click.click_id for click in members),
            clicks=len(members),
            per_click=money.payout,
            currency=money.currency,
        )
        written += int(booked is not None and booked[1])
    return written
