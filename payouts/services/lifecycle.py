"""A batch's life after its build: approve (a second person), export, mark paid, fail a line.

Each step locks the batch (payouts.locks: currency, then row) and moves it forward with a
check of its current state, so a double click or two people at once change it once. The
database refuses any backward move and any change to a paid batch (migration 0003).
"""

from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from config.errors import DomainError, ForbiddenError, NotFoundError
from payouts.exports import payout_batch_csv
from payouts.ledger import ledger_entry_append
from payouts.locks import payout_batch_lock
from payouts.models import LedgerEntry, PayoutBatch, PayoutBatchLine
from payouts.services.roles import require_finance

LEDGER = LedgerEntry._meta.db_table
LINE = PayoutBatchLine._meta.db_table


def _locked(batch_id: int) -> PayoutBatch:
    batch = payout_batch_lock(batch_id=batch_id)
    if batch is None:
        raise NotFoundError("not_found", f"No payout batch {batch_id}.")
    return batch


def _refuse_state(batch: PayoutBatch, action: str, allowed: str) -> DomainError:
    return DomainError(
        "batch_state",
        f"Batch {batch.id} is {batch.status}: it can be {action} only when {allowed}.",
        status_code=409,
    )


def payout_batch_approve(
    *, batch_id: int, approved_by: User, expected_total: Decimal | None = None
) -> PayoutBatch:
    """Approve a draft. The approver must be a finance user other than its builder.

    `expected_total`, when given, is the total the approver reviewed: if the draft was rebuilt
    since, approval is refused rather than approving something nobody looked at.
    """
    require_finance(approved_by)
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch.status != PayoutBatch.Status.DRAFT:
            raise _refuse_state(batch, "approved", "it is a draft")
        if batch.built_by_id == approved_by.id:
            raise ForbiddenError(
                "self_approval", "A batch must be approved by someone other than its builder."
            )
        if batch.line_count == 0:
            raise DomainError("batch_empty", f"Batch {batch.id} has no lines.", status_code=409)
        if expected_total is not None and expected_total != batch.total:
            raise DomainError(
                "batch_changed",
                f"Batch {batch.id} totals {batch.total}, not {expected_total}: review it again.",
                status_code=409,
            )
        batch.status = PayoutBatch.Status.APPROVED
        batch.approved_by = approved_by
        batch.approved_at = timezone.now()
        batch.save(update_fields=["status", "approved_by", "approved_at"])
    return batch


def payout_batch_export(
    *, batch_id: int, exported_by: User, export_format: str
) -> tuple[PayoutBatch, str]:
    """Export an approved batch: returns it, marked exported, with its CSV text.

    The file is rendered inside the transaction, so a file that cannot be made (say a PayPal
    line without an email) leaves the batch approved. Exporting an exported or paid batch again
    changes nothing: a file can be downloaded twice.
    """
    require_finance(exported_by)
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch.status == PayoutBatch.Status.APPROVED:
            batch.status = PayoutBatch.Status.EXPORTED
            batch.exported_by = exported_by
            batch.exported_at = timezone.now()
            batch.save(update_fields=["status", "exported_by", "exported_at"])
        elif batch.status not in (PayoutBatch.Status.EXPORTED, PayoutBatch.Status.PAID):
            raise _refuse_state(batch, "exported", "it is approved")
        return batch, payout_batch_csv(batch=batch, export_format=export_format)


def payout_batch_mark_paid(*, batch_id: int, paid_by: User) -> PayoutBatch:
    """Record that the money went out: one negative payment entry per line, then `paid`.

    Idempotent twice over: a paid batch is returned as it is, and each payment entry has the
    key ``batch_line:<id>:payment``, so even a replay that got past the state check writes
    nothing new.
    """
    require_finance(paid_by)
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch.status == PayoutBatch.Status.PAID:
            return batch
        if batch.status not in (PayoutBatch.Status.APPROVED, PayoutBatch.Status.EXPORTED):
            raise _refuse_state(batch, "marked paid", "it is approved or exported")
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {LEDGER} (publisher_id, currency, kind, amount, idempotency_key,
                    batch_line_id, reason, created_by_id, created_at)
                SELECT l.publisher_id, l.currency, 'payment', -l.amount,
                    'batch_line:' || l.id || ':payment', l.id, '', %(user)s, %(now)s
                FROM {LINE} l WHERE l.batch_id = %(batch)s
                ORDER BY l.id
                ON CONFLICT (idempotency_key) DO NOTHING
                """,  # noqa: S608
                {
                    "user": paid_by.id,
                    "now": connection.ops.adapt_datetimefield_value(now),
                    "batch": batch.id,
                },
            )
        batch.status = PayoutBatch.Status.PAID
        batch.paid_by = paid_by
        batch.paid_at = now
        batch.save(update_fields=["status", "paid_by", "paid_at"])
    return batch


def payout_line_mark_failed(
    *, batch_id: int, line_id: int, marked_by: User, reason: str = ""
) -> PayoutBatchLine:
    """A paid line's money did not arrive (bounced, closed account): give it back.

    Writes a payment_failure entry of the line's amount, which belongs to no batch, so the
    amount is in the publisher's balance again and the next batch pays it. Marking twice
    changes nothing more.
    """
    require_finance(marked_by)
    with transaction.atomic():
        batch = _locked(batch_id)
        line = PayoutBatchLine.objects.select_for_update().filter(id=line_id, batch=batch).first()
        if line is None:
            raise NotFoundError("not_found", f"No line {line_id} in batch {batch_id}.")
        if batch.status != PayoutBatch.Status.PAID:
            raise _refuse_state(batch, "have a line marked failed", "it is paid")
        if line.status == PayoutBatchLine.Status.FAILED:
            return line
        ledger_entry_append(
            publisher_id=line.publisher_id,
            currency=line.currency,
            kind=LedgerEntry.Kind.PAYMENT_FAILURE,
            amount=line.amount,
            idempotency_key=f"batch_line:{line.id}:payment_failure",
            reason=reason,
            created_by_id=marked_by.id,
            batch_line_id=line.id,
        )
        line.status = PayoutBatchLine.Status.FAILED
        line.failure_reason = reason
        line.failed_at = timezone.now()
        line.save(update_fields=["status", "failure_reason", "failed_at"])
    return line
