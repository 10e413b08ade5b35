"""CPC earnings: unique, non-bot clicks on CPC terms earn without any callback.

Called by the click ingester (through tracking.hooks.after_clicks_ingested) inside the
transaction that inserted the clicks, with only the clicks that batch really inserted. It books
one ledger earning per publisher, offer and hour of the batch: count x per-click payout, rounded
once. The idempotency key names the smallest click id of the group, so a re-run of the same
batch (a retried transaction) books nothing new, while a later batch in the same hour, with other
clicks, books its own entry.
"""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from offers.models import Goal, TermsKind
from offers.terms import TermsNotSetError, terms_in_force
from payouts.ledger import ledger_entry_append
from payouts.models import LedgerEntry
from payouts.money import money_round
from tracking.models import Click


def _cpc_goals(offer_ids: set[int]) -> dict[int, Goal]:
    """Per offer, the goal whose terms pay per click (the default goal first)."""
    found: dict[int, Goal] = {}
    goals = (
        Goal.objects.filter(offer_id__in=offer_ids, terms__payout_kind=TermsKind.CPC)
        .select_related("terms", "offer")
        .order_by("-is_default", "id")
    )
    for goal in goals:
        found.setdefault(goal.offer_id, goal)
    return found


def cpc_clicks_earn(*, clicks: list[Click]) -> int:
    """Book the CPC earnings of freshly ingested clicks. Returns the ledger entries written."""
    paying = [c for c in clicks if c.is_unique and not c.is_bot and not c.fallback_reason]
    if not paying:
        return 0
    goals = _cpc_goals({c.offer_id for c in paying})
    if not goals:
        return 0
    groups: dict[tuple[int, int, datetime], list[Click]] = defaultdict(list)
    for click in paying:
        if click.offer_id in goals:
            hour = click.created_at.replace(minute=0, second=0, microsecond=0)
            groups[(click.publisher_id, click.offer_id, hour)].append(click)
    written = 0
    for (publisher_id, offer_id, hour), members in sorted(groups.items()):
        goal = goals[offer_id]
        try:
            terms = terms_in_force(goal=goal, publisher_id=publisher_id, at=hour)
        except TermsNotSetError:
            continue
        if terms.payout_kind != TermsKind.CPC or not terms.payout_amount:
            continue  # this publisher's override pays per conversion instead
        amount = money_round(terms.payout_amount * Decimal(len(members)), terms.currency)
        if not amount:
            continue
        first = min(click.click_id for click in members)
        _entry, created = ledger_entry_append(
            publisher_id=publisher_id,
            currency=terms.currency,
            kind=LedgerEntry.Kind.EARNING,
            amount=amount,
            idempotency_key=f"cpc:{publisher_id}:{offer_id}:{hour:%Y%m%d%H}:{first}",
            offer_id=offer_id,
            reason=f"CPC: {len(members)} unique clicks x {terms.payout_amount} {terms.currency}",
        )
        written += int(created)
    return written
