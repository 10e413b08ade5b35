"""The daily traffic booking: CPC and CPM money, once a network day is over.

Click and impression pixels carry no credential, so traffic is not paid as it arrives
(TRAFFIC_BOOKING=daily, the default). Once a day (NETWORK_TIME_ZONE) is closed,
`traffic_day_book` counts, per publisher and offer:

- CPC: the clicks that reached the offer (no fallback), less bots and clicks whose stored
  signals hit a hold or reject rule of the offer or the network (fraud.rules; `fraud_excluded`),
  less repeats (`is_unique` false; `repeats_excluded`), then up to the offer's daily click caps
  (Cap.counts = clicks, period day; `capped`), earliest click first;
- CPM: the impressions counted per hour, up to the daily impression caps, earliest hour first;
  or, where a manager set the offer's (or the publisher's) impression source to `reported`
  (tracking/impression_reports.py), the count reported for the day by the advertiser or a
  manager, up to the same caps (in the room the pixel-priced publishers left, in the order the
  counts were first reported). Pixels are still counted (`pixel_counted`); with that source
  they pay nothing, and a publisher nobody reported for is paid nothing. A report arriving after
  the day was booked is a correction: traffic_day_cpm_correct books the difference.

Each (publisher, offer, model) is priced on the terms in force when the day began (the offer's
CPC or CPM goal, the publisher's override): revenue (what the advertiser owes) and payout are
`units x price / per` (per 1 click, per 1000 impressions), each rounded once. The payout is
booked by `payouts.ledger.ledger_book_traffic_day` (key `cpc_day:` / `cpm_day:`); both figures
go to the reports (reports.services.rollup_traffic_money_add) and to a `TrafficDay` row, which
says what was counted and left out. The whole day is one transaction and its rows are its
idempotency record: a second run books nothing.

A day already paid per hour at ingest (TRAFFIC_BOOKING=hourly, keys `cpc:...`) is recorded with
`paid_hourly` and not paid again.

Caps over weeks, months or in total, and caps of one goal, count conversions only; click caps of
any period still turn visitors away at the redirect (tracking/caps.py).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q, Sum

from core.errors import DomainError
from core.money import money_round
from core.network_time import network_midnight, network_zone
from fraud.models import FraudAction
from fraud.rules import click_signals_action, rulebook_load
from offers.models import Cap, Goal, TermsKind
from offers.terms import TRAFFIC_PER, TermsNotSetError, terms_in_force
from payouts.ledger import (
    ledger_book_traffic_day,
    ledger_book_traffic_day_correction,
    ledger_cpc_hours_booked,
)
from reports.services import rollup_traffic_money_add
from tracking.clicks.ids import click_id_is_test
from tracking.models import Click, Impression, ImpressionReport, ImpressionSource, TrafficDay

UNPAID_ACTIONS = frozenset({FraudAction.HOLD, FraudAction.REJECT})
# An arbitrary namespace for the day's advisory lock (two runs of one day wait for each other).
_LOCK_NAMESPACE = 0x7A1F


@dataclass
class Tally:
    counted: int = 0
    paid: int = 0
    fraud_excluded: int = 0
    repeats_excluded: int = 0
    capped: int = 0
    source: str = "pixel"
    pixel_counted: int = 0
    first_reported: datetime | None = None


@dataclass
class CapRoom:
    """What is left of the day's caps of one kind of unit, per cap."""

    caps: dict[int, list[tuple[int, int | None]]] = field(default_factory=dict)
    left: dict[int, int] = field(default_factory=dict)

    def take(self, *, offer_id: int, publisher_id: int, want: int) -> int:
        """How many of `want` units fit under every cap that applies; takes them."""
        applicable = [
            cap_id
            for cap_id, cap_publisher in self.caps.get(offer_id, [])
            if cap_publisher is None or cap_publisher == publisher_id
        ]
        got = min([want, *(self.left[cap_id] for cap_id in applicable)])
        for cap_id in applicable:
            self.left[cap_id] -= got
        return got


def _cap_room(*, counts: str, offer_ids: Iterable[int]) -> CapRoom:
    room = CapRoom()
    rows = Cap.objects.filter(
        offer_id__in=list(offer_ids), counts=counts, period=Cap.Period.DAY
    ).values_list("id", "offer_id", "publisher_id", "limit")
    for cap_id, offer_id, publisher_id, limit in rows:
        room.caps.setdefault(offer_id, []).append((cap_id, publisher_id))
        room.left[cap_id] = int(limit)
    return room


def _traffic_goals(kind: str, offer_ids: list[int] | None = None) -> dict[int, Goal]:
    """Per offer, the goal whose terms pay or charge per `kind` (the default goal first)."""
    found: dict[int, Goal] = {}
    goals = Goal.objects.filter(Q(terms__payout_kind=kind) | Q(terms__revenue_kind=kind))
    if offer_ids is not None:
        goals = goals.filter(offer_id__in=offer_ids)
    goals = goals.select_related("terms", "offer").order_by("-is_default", "id")
    for goal in goals:
        found.setdefault(goal.offer_id, goal)
    return found


def _count_clicks(*, start: datetime, end: datetime, goals: dict[int, Goal]) -> dict:
    tallies: dict[tuple[int, int], Tally] = defaultdict(Tally)
    if not goals:
        return tallies
    book = rulebook_load(offer_ids=goals)
    room = _cap_room(counts=Cap.Counts.CLICKS, offer_ids=goals)
    rows = (
        Click.objects.filter(
            created_at__gte=start, created_at__lt=end, offer_id__in=list(goals), fallback_reason=""
        )
        .order_by("created_at", "click_id")
        .values_list("click_id", "offer_id", "publisher_id", "is_unique", "is_bot", "signals")
    )
    for click_id, offer_id, publisher_id, is_unique, is_bot, signals in rows.iterator(2000):
        if click_id_is_test(click_id):
            continue
        tally = tallies[(publisher_id, offer_id)]
        tally.counted += 1
        action = click_signals_action(signals=signals or {}, offer_id=offer_id, book=book)
        if is_bot or action in UNPAID_ACTIONS:
            tally.fraud_excluded += 1
        elif not is_unique:
            tally.repeats_excluded += 1
        elif room.take(offer_id=offer_id, publisher_id=publisher_id, want=1):
            tally.paid += 1
        else:
            tally.capped += 1
    return tallies


def _impression_sources(offer_ids: Iterable[int]) -> dict[tuple[int, int | None], str]:
    rows = ImpressionSource.objects.filter(offer_id__in=list(offer_ids)).values_list(
        "offer_id", "publisher_id", "source"
    )
    return {(offer_id, publisher_id): source for offer_id, publisher_id, source in rows}


def _source(sources: dict, *, offer_id: int, publisher_id: int) -> str:
    return (
        sources.get((offer_id, publisher_id))
        or sources.get((offer_id, None))
        or ImpressionSource.Source.PIXEL
    )


def _count_impressions(*, start: datetime, end: datetime, goals: dict[int, Goal]) -> dict:
    tallies: dict[tuple[int, int], Tally] = defaultdict(Tally)
    if not goals:
        return tallies
    room = _cap_room(counts=Cap.Counts.IMPRESSIONS, offer_ids=goals)
    sources = _impression_sources(goals)
    rows = (
        Impression.objects.filter(hour__gte=start, hour__lt=end, offer_id__in=list(goals))
        .order_by("hour", "offer_id", "publisher_id")
        .values_list("offer_id", "publisher_id", "count")
    )
    for offer_id, publisher_id, count in rows:
        tally = tallies[(publisher_id, offer_id)]
        tally.pixel_counted += count
        if _source(sources, offer_id=offer_id, publisher_id=publisher_id) != "pixel":
            tally.source = ImpressionSource.Source.REPORTED
            continue
        tally.counted += count
        got = room.take(offer_id=offer_id, publisher_id=publisher_id, want=count)
        tally.paid += got
        tally.capped += count - got
    if not sources:
        return tallies
    day = _network_day(start)
    reports = (
        ImpressionReport.objects.filter(day=day, offer_id__in=list(goals), is_current=True)
        .order_by("created_at", "id")
        .values_list("offer_id", "publisher_id", "count", "created_at")
    )
    for offer_id, publisher_id, count, created_at in reports:
        if _source(sources, offer_id=offer_id, publisher_id=publisher_id) == "pixel":
            continue  # reported, but this CPM is priced from pixels
        tally = tallies[(publisher_id, offer_id)]
        tally.source = ImpressionSource.Source.REPORTED
        tally.counted += count
        tally.first_reported = tally.first_reported or created_at
    for key in sorted(
        (key for key, tally in tallies.items() if tally.source != "pixel"),
        key=lambda key: (tallies[key].first_reported or end, key),
    ):
        tally = tallies[key]
        tally.paid = room.take(offer_id=key[1], publisher_id=key[0], want=tally.counted)
        tally.capped = tally.counted - tally.paid
    return tallies


def _network_day(start: datetime) -> date:
    return start.astimezone(network_zone()).date()


def _price(
    *, kind: str, goal: Goal, publisher_id: int, at: datetime
) -> tuple[str, Decimal, Decimal]:
    """(currency, revenue price, payout price) per unit group of `kind` for this publisher."""
    terms = terms_in_force(goal=goal, publisher_id=publisher_id, at=at)
    revenue = terms.revenue_amount if terms.revenue_kind == kind else Decimal(0)
    payout = terms.payout_amount if terms.payout_kind == kind else Decimal(0)
    return terms.currency, revenue, payout


def traffic_lock(day: date) -> None:
    """Take the day's advisory lock (until the transaction ends): its booking and the reports
    correcting it wait for each other."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, day.toordinal()]
            )


def traffic_day_is_booked(day: date) -> bool:
    return TrafficDay.objects.filter(day=day).exists()


def traffic_day_book(*, day: date) -> int:
    """Count, price and book one closed network day. Returns the TrafficDay rows written (0 when
    the day was booked before)."""
    start, end = network_midnight(day), network_midnight(day + timedelta(days=1))
    written = 0
    with transaction.atomic():
        traffic_lock(day)
        if traffic_day_is_booked(day):
            return 0
        hourly = ledger_cpc_hours_booked(start=start, end=end)
        money_rows = []
        for kind, counter in (
            (TermsKind.CPC, _count_clicks),
            (TermsKind.CPM, _count_impressions),
        ):
            goals = _traffic_goals(kind)
            tallies = counter(start=start, end=end, goals=goals)
            per = TRAFFIC_PER[kind]
            for (publisher_id, offer_id), tally in sorted(tallies.items()):
                goal = goals[offer_id]
                try:
                    currency, revenue_price, payout_price = _price(
                        kind=kind, goal=goal, publisher_id=publisher_id, at=start
                    )
                except TermsNotSetError:
                    continue
                paid_hourly = kind == TermsKind.CPC and (publisher_id, offer_id) in hourly
                units = Decimal(0 if paid_hourly else tally.paid)
                revenue = money_round(revenue_price * units / per, currency)
                payout = money_round(payout_price * units / per, currency)
                TrafficDay.objects.create(
                    day=day,
                    model=kind,
                    offer_id=offer_id,
                    publisher_id=publisher_id,
                    goal_id=goal.pk,
                    counted=tally.counted,
                    paid=tally.paid,
                    fraud_excluded=tally.fraud_excluded,
                    repeats_excluded=tally.repeats_excluded,
                    capped=tally.capped,
                    currency=currency,
                    revenue=revenue,
                    payout=payout,
                    paid_hourly=paid_hourly,
                    source=tally.source,
                    pixel_counted=tally.pixel_counted if kind == TermsKind.CPM else 0,
                )
                written += 1
                if paid_hourly:
                    continue
                if payout:
                    ledger_book_traffic_day(
                        model=str(kind),
                        publisher_id=publisher_id,
                        offer_id=offer_id,
                        day=day,
                        units=tally.paid,
                        unit_price=payout_price,
                        per=per,
                        currency=currency,
                        detail=_detail(tally),
                    )
                money_rows.append((start, offer_id, publisher_id, currency, revenue, payout))
        rollup_traffic_money_add(rows=money_rows)
        ImpressionReport.objects.filter(
            day=day, status=ImpressionReport.Status.PENDING, is_current=True
        ).update(status=ImpressionReport.Status.BOOKED)
    return written


def _detail(tally: Tally) -> str:
    """What was counted and left out, for the ledger entry's reason (its explanation)."""
    if tally.source == ImpressionSource.Source.REPORTED:
        return (
            f"reported {tally.counted} (authenticated source; pixels counted "
            f"{tally.pixel_counted}, not paid), over cap {tally.capped}"
        )
    return (
        f"counted {tally.counted}, fraud {tally.fraud_excluded}, "
        f"repeats {tally.repeats_excluded}, over cap {tally.capped}"
    )


def _cpm_room(*, day: date, offer_id: int, publisher_id: int, want: int) -> int:
    """How many of `want` impressions fit under the offer's daily impression caps that apply to
    this publisher, beside what the day paid the other publishers they cover."""
    got = want
    caps = Cap.objects.filter(
        offer_id=offer_id, counts=Cap.Counts.IMPRESSIONS, period=Cap.Period.DAY
    ).filter(Q(publisher__isnull=True) | Q(publisher_id=publisher_id))
    for cap_publisher, limit in caps.values_list("publisher_id", "limit"):
        others = TrafficDay.objects.filter(day=day, model=TermsKind.CPM, offer_id=offer_id).exclude(
            publisher_id=publisher_id
        )
        if cap_publisher is not None:
            others = others.none()
        used = others.aggregate(total=Sum("paid"))["total"] or 0
        got = min(got, max(0, int(limit) - used))
    return got


def traffic_day_cpm_correct(*, report: ImpressionReport, reported: int) -> None:
    """A report that arrived after its day was booked: recount the publisher's paid impressions
    (`reported`, the sum of its current lines) under the same caps, price them on the same
    terms, and book the difference: a ledger entry of its own (payout), the reports (revenue and
    payout), the TrafficDay row brought to the new figures; the report keeps before and after.
    Call inside the transaction holding traffic_lock(report.day)."""
    day, offer_id, publisher_id = report.day, report.offer_id, report.publisher_id
    start = network_midnight(day)
    row = (
        TrafficDay.objects.select_for_update()
        .filter(day=day, model=TermsKind.CPM, offer_id=offer_id, publisher_id=publisher_id)
        .first()
    )
    if row is not None and row.source != ImpressionSource.Source.REPORTED:
        raise DomainError(
            "day_booked_from_pixels",
            f"{day} was booked from the pixels for offer {offer_id} and publisher "
            f"{publisher_id}; a report cannot replace that booking (a manager adjusts the "
            "ledger instead).",
            status_code=409,
        )
    goal = _traffic_goals(TermsKind.CPM, offer_ids=[offer_id]).get(offer_id)
    priced = None
    if goal is not None:
        try:
            priced = _price(kind=TermsKind.CPM, goal=goal, publisher_id=publisher_id, at=start)
        except TermsNotSetError:
            priced = None
    paid_before = row.paid if row is not None else 0
    report.paid_before = paid_before
    report.paid_after = paid_before
    if goal is None or priced is None:
        report.save(update_fields=["paid_before", "paid_after"])
        return  # no CPM terms: nothing is priced from impressions
    currency, revenue_price, payout_price = priced
    per = TRAFFIC_PER[TermsKind.CPM]
    paid = _cpm_room(day=day, offer_id=offer_id, publisher_id=publisher_id, want=reported)
    revenue = money_round(revenue_price * Decimal(paid) / per, currency)
    payout = money_round(payout_price * Decimal(paid) / per, currency)
    if row is None:
        pixels = Impression.objects.filter(
            hour__gte=start,
            hour__lt=network_midnight(day + timedelta(days=1)),
            offer_id=offer_id,
            publisher_id=publisher_id,
        ).aggregate(total=Sum("count"))["total"]
        row = TrafficDay(
            day=day,
            model=TermsKind.CPM,
            offer_id=offer_id,
            publisher_id=publisher_id,
            goal_id=goal.pk,
            currency=currency,
            source=ImpressionSource.Source.REPORTED,
            pixel_counted=pixels or 0,
        )
    revenue_change, payout_change = revenue - row.revenue, payout - row.payout
    row.counted, row.paid, row.capped = reported, paid, reported - paid
    row.revenue, row.payout = revenue, payout
    row.save()
    entry = ledger_book_traffic_day_correction(
        model=str(TermsKind.CPM),
        publisher_id=publisher_id,
        offer_id=offer_id,
        day=day,
        report_id=report.pk,
        change=payout_change,
        currency=currency,
        reason=(
            f"CPM {day:%Y-%m-%d} corrected by report {report.report_id}: reported "
            f"{reported}, paid {paid_before} -> {paid} impressions / {per} x {payout_price} "
            f"{currency} (authenticated source; over cap {reported - paid})"
        ),
    )
    rollup_traffic_money_add(
        rows=[(start, offer_id, publisher_id, currency, revenue_change, payout_change)]
    )
    report.paid_after = paid
    report.currency = currency
    report.revenue_change = revenue_change
    report.payout_change = payout_change
    report.ledger_key = entry[0].idempotency_key if entry else ""
    report.save(
        update_fields=[
            "paid_before",
            "paid_after",
            "currency",
            "revenue_change",
            "payout_change",
            "ledger_key",
        ]
    )
