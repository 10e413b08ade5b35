"""Attributing a batch of inbox callbacks: claim, decide, write, all in one transaction.

A batch claims up to N received rows with FOR UPDATE SKIP LOCKED, so workers never share a row
and a worker that dies mid-batch leaves its rows (its transaction rolls back) for the next
drain or the sweep. Each conversion points at its inbox row (unique), and its ledger earning
has an idempotency key naming it (payouts.ledger), so running a row twice is running it once.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from affiliates.models import PostbackTemplate
from core.bulk_insert import rows_insert
from payouts.ledger import ledger_book_conversion_earnings
from tracking.attribution.context import batch_context_build
from tracking.attribution.decide import Decision, callback_decide
from tracking.attribution.fraud import batch_fraud_prepare
from tracking.attribution.notices import people_tell
from tracking.attribution.queue import click_retry_seconds, click_wait_seconds
from tracking.callbacks.fields import CallbackFields, CallbackShapeError, callback_fields
from tracking.caps import cap_reached_set
from tracking.hooks import after_conversions_created
from tracking.models import CallbackInbox, Click, Conversion
from tracking.result_codes import CallbackResult
from tracking.tasks.postbacks import postbacks_for_conversions


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch did. `waiting` rows wait for their click (retry_at set): the caller, the
    attribution task, schedules the drain that takes them when due."""

    claimed: int
    conversions: int
    waiting: int


def inbox_batch_attribute(*, limit: int) -> BatchOutcome:
    """Attribute up to `limit` due inbox rows, oldest first. Returns what happened."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            CallbackInbox.objects.select_for_update(skip_locked=True)
            .filter(state=CallbackInbox.State.RECEIVED)
            .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
            .order_by("id")[:limit]
        )
        if not rows:
            return BatchOutcome(claimed=0, conversions=0, waiting=0)
        decisions, clicks = _decide_all(rows=rows, now=now)
        written = _write(decisions=decisions, clicks=clicks, now=now)
    waiting = sum(1 for decision in decisions if decision.waiting)
    return BatchOutcome(claimed=len(rows), conversions=written, waiting=waiting)


def _decide_all(*, rows: list[CallbackInbox], now) -> tuple[list[Decision], dict[str, Click]]:
    """Each row's decision, and the clicks read for them (by click id)."""
    parsed: dict[int, CallbackFields] = {}
    decisions: list[Decision] = []
    for row in rows:
        try:
            parsed[row.pk] = callback_fields(dialect=row.dialect, params=row.params)
        except CallbackShapeError:
            # Validated at the door; only a row written by other means gets here.
            decisions.append(Decision(row=row, result=CallbackResult.INVALID))
    ctx = batch_context_build(
        rows=[row for row in rows if row.pk in parsed],
        txn_ids={fields.txn_id for fields in parsed.values() if fields.txn_id},
        now=now,
    )
    ctx.fraud = batch_fraud_prepare(rows=rows, clicks=ctx.clicks, now=now)
    wait = timedelta(seconds=click_wait_seconds())
    for row in rows:
        fields = parsed.get(row.pk)
        if fields is not None:
            decisions.append(
                callback_decide(row=row, fields=fields, ctx=ctx, wait_until=row.received_at + wait)
            )
    return decisions, ctx.clicks


def _write(*, decisions: list[Decision], clicks: dict[str, Click], now) -> int:
    conversions = [d.conversion for d in decisions if d.conversion is not None]
    try:
        with transaction.atomic():
            rows_insert(objs=conversions)
    except IntegrityError:
        # Another worker converted the same txn id or click and goal since we looked: go row
        # by row so only the loser of each race becomes a duplicate.
        conversions = _write_one_by_one(decisions)

    # Test conversions (sandbox links) never reach the ledger.
    ledger_book_conversion_earnings(
        conversions=[
            c for c in conversions if c.status == Conversion.Status.APPROVED and not c.is_test
        ]
    )
    after_conversions_created(conversions=conversions, clicks=clicks)

    # One UPDATE per (result, advertiser): attribution names the advertiser of rows the door
    # could not (pixels, callbacks before their click).
    by_result: dict[tuple[str, int | None], list[int]] = {}
    waiting: list[int] = []
    for decision in decisions:
        if decision.waiting:
            waiting.append(decision.row.pk)
        else:
            key = (decision.result, decision.row.advertiser_id)
            by_result.setdefault(key, []).append(decision.row.pk)
    for (result, advertiser_id), ids in by_result.items():
        CallbackInbox.objects.filter(id__in=ids).update(
            state=CallbackInbox.State.PROCESSED,
            result=result,
            advertiser_id=advertiser_id,
            processed_at=now,
            attempts=F("attempts") + 1,
        )
    if waiting:
        CallbackInbox.objects.filter(id__in=waiting).update(
            retry_at=now + timedelta(seconds=click_retry_seconds()), attempts=F("attempts") + 1
        )
    _after_commit(decisions=decisions, conversions=conversions)
    return len(conversions)


def _write_one_by_one(decisions: list[Decision]) -> list[Conversion]:
    written = []
    for decision in decisions:
        conversion = decision.conversion
        if conversion is None:
            continue
        conversion.pk = None
        try:
            with transaction.atomic():
                conversion.save(force_insert=True)
        except IntegrityError:
            taken = conversion.advertiser_txn_id and (
                Conversion.all_objects.filter(
                    advertiser_id=conversion.advertiser_id,
                    advertiser_txn_id=conversion.advertiser_txn_id,
                    is_test=conversion.is_test,
                )
                .exclude(status=Conversion.Status.REJECTED)
                .exists()
            )
            decision.result = (
                CallbackResult.DUPLICATE_TXN if taken else CallbackResult.DUPLICATE_CONVERSION
            )
            decision.conversion = None
            continue
        written.append(conversion)
    return written


def _after_commit(*, decisions: list[Decision], conversions: list[Conversion]) -> None:
    filled = {
        (state.cap.pk, state.period_start, state.cap.limit)
        for decision in decisions
        if decision.conversion is not None
        for state in decision.caps_taken
        if state.filled
    }
    publisher_ids = {c.publisher_id for c in conversions}
    with_templates = set(
        PostbackTemplate.objects.filter(publisher_id__in=publisher_ids, is_active=True)
        .values_list("publisher_id", flat=True)
        .distinct()
    )
    notify = [c.pk for c in conversions if c.publisher_id in with_templates]
    held = [c for c in conversions if c.status == Conversion.Status.PENDING]

    def run() -> None:
        for cap_id, period_start, limit in filled:
            # At the limit this batch counted against: raised since, the new key is not set.
            cap_reached_set(cap_id=cap_id, period_start=period_start, reached=True, limit=limit)
        if notify:
            postbacks_for_conversions.delay(conversion_ids=notify)
        people_tell(held=held, caps_filled=sorted({cap_id for cap_id, _, _ in filled}))

    transaction.on_commit(run)
