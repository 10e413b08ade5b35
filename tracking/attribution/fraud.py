"""Where attribution asks fraud/ for its verdict: the batch's facts, then one call per conversion.

The batch reads once what the signals need (fraud/counters.py's Redis windows, the publishers'
advertiser outcomes of the last 30 days, the sub ids' rates) and the rule book in force; then
`fraud_verdict` judges each conversion. Callbacks that found their click are what the
conversion counts count (a duplicate refused later in the batch is counted too: advisory).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import iptocc
from django.db.models import Count, Q

from fraud.counters import conversion_counts, sub_conversions_add, sub_rates
from fraud.rules import RuleBook, Verdict, fraud_verdict, rulebook_load
from fraud.signals import ClickFacts, ConversionFacts, SignalContext
from fraud.traffic import FAST_SECONDS
from tracking.clicks.ids import click_id_is_test
from tracking.models import CallbackInbox, Click, Conversion
from tracking.result_codes import RejectReason

OUTCOME_DAYS = 30


@dataclass
class BatchFraud:
    book: RuleBook
    counts: dict[int, dict[str, Any]] = field(default_factory=dict)  # by inbox row id
    outcomes: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)
    rates: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)


def click_facts(click: Click) -> ClickFacts:
    return ClickFacts(
        click_id=click.click_id,
        created_at=click.created_at,
        offer_id=click.offer_id,
        publisher_id=click.publisher_id,
        ip=click.ip,
        user_agent=click.user_agent,
        country=click.country,
        device=click.device,
        sub1=click.sub1,
        source=click.source,
        is_bot=click.is_bot,
        signals=dict(click.signals or {}),
    )


def _age(row: CallbackInbox, click: Click, now: datetime) -> float:
    arrived = row.received_at or now
    return max(0.0, (arrived - click.created_at).total_seconds())


def batch_fraud_prepare(
    *, rows: list[CallbackInbox], clicks: dict[str, Click], now: datetime
) -> BatchFraud:
    found = [(row, clicks[row.click_id]) for row in rows if row.click_id in clicks]
    book = rulebook_load(offer_ids={click.offer_id for _, click in found})
    fraud = BatchFraud(book=book)
    if not found:
        return fraud
    # Test clicks (sandbox links) read the counters as real ones do but never add to them.
    for test in (False, True):
        part = [pair for pair in found if click_id_is_test(pair[1].click_id) == test]
        if not part:
            continue
        items = [
            (
                str(row.pk),
                (row.received_at or now).timestamp(),
                click_facts(click),
                click.publisher_id,
                _age(row, click, now) < FAST_SECONDS,
            )
            for row, click in part
        ]
        counts = conversion_counts(items=items, add=not test)
        for (row, _), counted in zip(part, counts, strict=True):
            fraud.counts[row.pk] = counted
    sub_conversions_add(
        items=[
            (click.publisher_id, (row.received_at or now).timestamp(), click.sub1)
            for row, click in found
            if not click_id_is_test(click.click_id)
        ]
    )
    publisher_ids = {click.publisher_id for _, click in found}
    outcomes = (
        Conversion.objects.filter(
            publisher_id__in=publisher_ids, created_at__gte=now - timedelta(days=OUTCOME_DAYS)
        )
        .values_list("publisher_id", "sub1")
        .annotate(
            bad=Count(
                "id",
                filter=Q(reject_reason=RejectReason.ADVERTISER_REJECTED)
                | Q(status=Conversion.Status.REVERSED),
            ),
            total=Count("id"),
        )
    )
    for publisher_id, sub1, bad, total in outcomes:
        fraud.outcomes[(publisher_id, sub1)] = (bad, total)
        was = fraud.outcomes.get((publisher_id, "*"), (0, 0))
        fraud.outcomes[(publisher_id, "*")] = (was[0] + bad, was[1] + total)
    wanted = {(click.publisher_id, click.sub1) for _, click in found if click.sub1}
    wanted |= {(publisher_id, "*") for publisher_id in publisher_ids}
    fraud.rates = sub_rates(wanted=wanted, now=now.timestamp())
    return fraud


def _country(address: object) -> str:
    try:
        ip = str(ipaddress.ip_address(str(address)))
    except ValueError:
        return ""
    return iptocc.country_code(ip) or ""


def conversion_judge(
    *,
    fraud: BatchFraud,
    row: CallbackInbox,
    click: Click,
    advertiser_id: int,
    goal_id: int,
    now: datetime,
) -> Verdict:
    """The fraud verdict of the conversion `row` makes of `click`."""
    facts: dict[str, Any] = dict(fraud.counts.get(row.pk, {}))
    facts["seconds"] = round(_age(row, click, now), 3)
    callback_ip = (row.params or {}).get("ip") if row.dialect != "pixel" else row.remote_ip
    if callback_ip:
        facts["callback_country"] = _country(callback_ip)
    publisher_id = click.publisher_id
    facts["publisher_outcomes"] = fraud.outcomes.get((publisher_id, "*"))
    if click.sub1:
        facts["sub_outcomes"] = fraud.outcomes.get((publisher_id, click.sub1))
        facts["sub_rate"] = fraud.rates.get((publisher_id, click.sub1))
    facts["publisher_rate"] = fraud.rates.get((publisher_id, "*"))
    ctx = SignalContext(
        click=click_facts(click),
        conversion=ConversionFacts(
            offer_id=click.offer_id,
            publisher_id=publisher_id,
            advertiser_id=advertiser_id,
            goal_id=goal_id,
            created_at=row.received_at or now,
            callback_ip=str(callback_ip) if callback_ip else None,
            sub1=click.sub1,
            source=click.source,
        ),
        now=now,
        facts=facts,
    )
    return fraud_verdict(ctx=ctx, book=fraud.book)
