"""Everything one attribution batch reads, fetched once for the whole batch.

A batch of a thousand callbacks touches a handful of offers, goals and publishers: reading them
per callback would cost more than the attribution itself. Caps are locked here too (FOR UPDATE,
in id order, one statement) so that counting and deciding happen under the lock.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from affiliates.models import Publisher
from offers.models import Cap, Goal, Offer
from offers.terms import FrozenTerms, TermsNotSetError, terms_in_force
from tracking.attribution.fx import FxCheck
from tracking.attribution.locks import clicks_attribution_lock
from tracking.caps import CAP_COUNTED, cap_period_start
from tracking.clicks.lookup import click_find
from tracking.models import CallbackInbox, Click, Conversion


@dataclass
class CapState:
    cap: Cap
    period_start: datetime | None
    count: int
    payout_total: Decimal
    filled: bool = False

    def applies_to(self, publisher_id: int, goal_id: int | None = None) -> bool:
        """A cap of one goal (Cap.goal) counts and limits that goal's conversions only."""
        if self.cap.goal_id is not None and goal_id is not None and self.cap.goal_id != goal_id:
            return False
        return self.cap.publisher_id is None or self.cap.publisher_id == publisher_id

    def would_exceed(self, payout: Decimal) -> bool:
        if self.cap.metric == Cap.Metric.PAYOUT:
            return self.payout_total + payout > self.cap.limit
        return self.count + 1 > self.cap.limit

    def take(self, payout: Decimal) -> None:
        self.count += 1
        self.payout_total += payout
        if self.cap.metric == Cap.Metric.PAYOUT:
            self.filled = self.payout_total >= self.cap.limit
        else:
            self.filled = self.count >= self.cap.limit


@dataclass
class BatchContext:
    now: datetime
    clicks: dict[str, Click]
    offers: dict[int, Offer]
    goals: dict[int, list[Goal]]
    publisher_status: dict[int, str]
    # (advertiser, txn id, is_test): test and real transaction ids never collide.
    seen_txn: set[tuple[int, str, bool]]
    seen_click_goal: set[tuple[str, int]]
    caps: dict[int, list[CapState]]
    fraud: Any = None  # tracking/attribution/fraud.py BatchFraud, set by the batch
    fx: FxCheck = field(default_factory=FxCheck)
    _terms: dict[tuple[int, int], FrozenTerms | None] = field(default_factory=dict)
    _snapshots: dict[int, dict] = field(default_factory=dict)

    def terms_snapshot(self, terms: FrozenTerms) -> dict:
        """terms.as_dict(), once per batch (conversions share it; it is only serialized)."""
        key = id(terms)
        if key not in self._snapshots:
            self._snapshots[key] = terms.as_dict()
        return self._snapshots[key]

    def terms_for(self, *, goal: Goal, publisher_id: int) -> FrozenTerms | None:
        key = (goal.pk, publisher_id)
        if key not in self._terms:
            try:
                self._terms[key] = terms_in_force(goal=goal, publisher_id=publisher_id, at=self.now)
            except TermsNotSetError:
                self._terms[key] = None
        return self._terms[key]


def clicks_fetch(*, click_ids: list[str]) -> dict[str, Click]:
    found = {click.click_id: click for click in Click.objects.filter(click_id__in=click_ids)}
    for click_id in click_ids:
        if click_id not in found:
            # Possibly still in the click buffer: click_find looks there too.
            click = click_find(click_id=click_id)
            if click is not None:
                found[click_id] = click
    return found


def batch_context_build(
    *, rows: list[CallbackInbox], txn_ids: set[str], now: datetime
) -> BatchContext:
    clicks = clicks_fetch(click_ids=sorted({row.click_id for row in rows}))
    offer_ids = {click.offer_id for click in clicks.values()}
    offers = {
        offer.pk: offer
        for offer in Offer.objects.filter(id__in=offer_ids).select_related("advertiser")
    }
    goals: dict[int, list[Goal]] = {}
    for goal in Goal.objects.filter(offer_id__in=offer_ids).select_related("terms", "offer"):
        goals.setdefault(goal.offer_id, []).append(goal)
    publisher_ids = {click.publisher_id for click in clicks.values()}
    publisher_status = dict(
        Publisher.objects.filter(id__in=publisher_ids).values_list("id", "status")
    )

    # Before reading what is converted: a worker holding another callback of one of these
    # clicks finishes first, and the read below sees its conversion (tracking/attribution/locks).
    clicks_attribution_lock(click_ids=list(clicks))
    seen_txn: set[tuple[int, str, bool]] = set()
    if txn_ids:
        seen_txn = set(
            Conversion.all_objects.filter(advertiser_txn_id__in=txn_ids)
            .exclude(status=Conversion.Status.REJECTED)
            .values_list("advertiser_id", "advertiser_txn_id", "is_test")
        )
    seen_click_goal = set(
        Conversion.all_objects.filter(click_id__in=list(clicks), once_per_click=True)
        .exclude(status=Conversion.Status.REJECTED)
        .values_list("click_id", "goal_id")
    )
    return BatchContext(
        now=now,
        clicks=clicks,
        offers=offers,
        goals=goals,
        publisher_status=publisher_status,
        seen_txn=seen_txn,
        seen_click_goal=seen_click_goal,
        caps=caps_lock_and_count(offer_ids=offer_ids, now=now),
    )


def caps_lock_and_count(*, offer_ids: set[int], now: datetime) -> dict[int, list[CapState]]:
    """Lock the offers' caps (id order, so two workers never wait on each other in a cycle) and
    count what each has used in its current period. Held until the batch commits."""
    if not offer_ids:
        return {}
    caps = list(
        Cap.objects.select_for_update()
        .filter(offer_id__in=offer_ids, counts=Cap.Counts.CONVERSIONS)
        .order_by("id")
    )
    states: dict[int, list[CapState]] = {}
    for cap in caps:
        start = cap_period_start(period=cap.period, now=now)
        used = Conversion.objects.filter(CAP_COUNTED, offer_id=cap.offer_id)
        if cap.goal_id is not None:
            used = used.filter(goal_id=cap.goal_id)
        if cap.publisher_id is not None:
            used = used.filter(publisher_id=cap.publisher_id)
        if start is not None:
            used = used.filter(created_at__gte=start)
        totals = used.aggregate(count=Count("id"), payout=Sum("payout"))
        states.setdefault(cap.offer_id, []).append(
            CapState(
                cap=cap,
                period_start=start,
                count=totals["count"],
                payout_total=totals["payout"] or Decimal(0),
            )
        )
    return states
