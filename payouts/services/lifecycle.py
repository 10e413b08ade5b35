"""A batch's life after its build: approve (someone who authored none of it, on the digest of
the lines shown), export, mark paid, fail a line (asked by one finance user, confirmed by
another, since a failed line is paid again).

Each step locks the batch (payouts.locks: currency, then row) and moves it forward with a
check of its current state, so a double click or two people at once change it once. The
database refuses any backward move and any change to a paid batch (migration 0003).
"""

from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.notifications import notify, recipients
from accounts.policy import Action, policy_require
from core.errors import DomainError, NotFoundError
from payouts.exports import payout_batch_csv
from payouts.ledger import ledger_entry_append, ledger_key_payment_failure, ledger_key_payment_sql
from payouts.locks import payout_batch_lock
from payouts.models import LedgerEntry, LineFailureRequest, PayoutBatch, PayoutBatchLine
from payouts.selectors import payout_batch_authors, payout_batch_digest

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
    *,
    batch_id: int,
    approved_by: User,
    digest: str,
    expected_total: Decimal | None = None,
) -> PayoutBatch:
    """Approve a draft: by a finance user who authored none of it (accounts.policy
    BATCH_APPROVE, facts `authors`), scheduled batches included.

    `digest` is payout_batch_digest of the lines the approver reviewed: if any line changed,
    appeared, went or moved since, approval is refused (409 `batch_changed`) rather than
    approving something nobody looked at. `expected_total`, when given, is checked too.
    """
    with transaction.atomic():
        batch = _locked(batch_id)
        policy_require(
            action=Action.BATCH_APPROVE,
            user=approved_by,
            facts={"authors": payout_batch_authors(batch=batch)},
        )
        if batch.status != PayoutBatch.Status.DRAFT:
            raise _refuse_state(batch, "approved", "it is a draft")
        if not digest:
            raise DomainError.for_field(
                "digest", "required", "Name the digest of the lines you reviewed (the batch's)."
            )
        if batch.line_count == 0:
            raise DomainError("batch_empty", f"Batch {batch.id} has no lines.", status_code=409)
        current = payout_batch_digest(batch_id=batch.id)
        if digest != current:
            raise DomainError(
                "batch_changed",
                f"Batch {batch.id}'s lines are not the ones reviewed (digest {current}): "
                "review it again.",
                status_code=409,
            )
        if expected_total is not None and expected_total != batch.total:
            raise DomainError(
                "batch_changed",
                f"Batch {batch.id} totals {batch.total}, not {expected_total}: review it again.",
                status_code=409,
            )
        batch.status = PayoutBatch.Status.APPROVED
        batch.approved_by = approved_by
        batch.approved_at = timezone.now()
        batch.approved_digest = current
        batch.save(update_fields=["status", "approved_by", "approved_at", "approved_digest"])
    return batch


def payout_batch_export(
    *, batch_id: int, exported_by: User, export_format: str
) -> tuple[PayoutBatch, str]:
    """Export an approved batch: returns it, marked exported, with its CSV text.

    The file is rendered inside the transaction, so a file that cannot be made (say a PayPal
    line without an email) leaves the batch approved. Exporting an exported or paid batch again
    changes nothing: a file can be downloaded twice.
    """
    policy_require(action=Action.BATCH_EXPORT, user=exported_by, facts={})
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
    policy_require(action=Action.BATCH_MARK_PAID, user=paid_by, facts={})
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
                    {ledger_key_payment_sql("l.id")}, l.id, '', %(user)s, %(now)s
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
        for line in batch.lines.only("publisher_id", "amount", "currency"):
            notify(
                users=recipients(publisher_id=line.publisher_id),
                kind="payout_sent",
                text=f"A payout of {line.amount} {line.currency} is on its way to you.",
                url="/publisher/payouts/",
            )
        batch.save(update_fields=["status", "paid_by", "paid_at"])
    return batch


def _paid_line(batch_id: int, line_id: int) -> tuple[PayoutBatch, PayoutBatchLine]:
    batch = _locked(batch_id)
    line = PayoutBatchLine.objects.select_for_update().filter(id=line_id, batch=batch).first()
    if line is None:
        raise NotFoundError("not_found", f"No line {line_id} in batch {batch_id}.")
    if batch.status != PayoutBatch.Status.PAID:
        raise _refuse_state(batch, "have a line marked failed", "it is paid")
    return batch, line


def payout_line_failure_request(
    *, batch_id: int, line_id: int, requested_by: User, reason: str = ""
) -> LineFailureRequest:
    """Ask to mark a paid line failed (its money did not arrive). Nothing changes until a second
    finance user confirms. Asking again while one is pending returns that one."""
    policy_require(action=Action.BATCH_LINE_FAIL, user=requested_by, facts={})
    with transaction.atomic():
        _batch, line = _paid_line(batch_id, line_id)
        if line.status == PayoutBatchLine.Status.FAILED:
            raise DomainError(
                "line_failed", f"Line {line.id} is already marked failed.", status_code=409
            )
        pending = line.failure_requests.filter(state=LineFailureRequest.State.PENDING).first()
        if pending is not None:
            return pending
        return LineFailureRequest.objects.create(
            line=line, reason=reason.strip(), requested_by=requested_by
        )


def _pending_failure(line: PayoutBatchLine) -> LineFailureRequest:
    request = (
        line.failure_requests.select_for_update()
        .filter(state=LineFailureRequest.State.PENDING)
        .first()
    )
    if request is None:
        raise DomainError(
            "not_pending",
            f"No failure of line {line.id} is waiting for a decision.",
            status_code=409,
        )
    return request


def payout_line_failure_confirm(
    *, batch_id: int, line_id: int, confirmed_by: User
) -> PayoutBatchLine:
    """A second finance user confirms a line's failure: give its money back.

    Writes a payment_failure entry of the line's amount (authored by the requester), which
    belongs to no batch, so the amount is in the publisher's balance again and the next batch
    pays it.
    """
    with transaction.atomic():
        _batch, line = _paid_line(batch_id, line_id)
        request = _pending_failure(line)
        policy_require(
            action=Action.BATCH_LINE_FAIL_CONFIRM,
            user=confirmed_by,
            facts={"requested_by_id": request.requested_by_id},
        )
        ledger_entry_append(
            publisher_id=line.publisher_id,
            currency=line.currency,
            kind=LedgerEntry.Kind.PAYMENT_FAILURE,
            amount=line.amount,
            idempotency_key=ledger_key_payment_failure(line.id),
            reason=request.reason,
            created_by_id=request.requested_by_id,
            batch_line_id=line.id,
        )
        now = timezone.now()
        line.status = PayoutBatchLine.Status.FAILED
        line.failure_reason = request.reason
        line.failed_at = now
        line.save(update_fields=["status", "failure_reason", "failed_at"])
        request.state = LineFailureRequest.State.CONFIRMED
        request.decided_by = confirmed_by
        request.decided_at = now
        request.save(update_fields=["state", "decided_by", "decided_at"])
    return line


def payout_line_failure_reject(
    *, batch_id: int, line_id: int, rejected_by: User
) -> LineFailureRequest:
    """Refuse (or withdraw) a pending line failure: the line stays paid."""
    policy_require(action=Action.BATCH_LINE_FAIL, user=rejected_by, facts={})
    with transaction.atomic():
        _batch, line = _paid_line(batch_id, line_id)
        request = _pending_failure(line)
        request.state = LineFailureRequest.State.REJECTED
        request.decided_by = rejected_by
        request.decided_at = timezone.now()
        request.save(update_fields=["state", "decided_by", "decided_at"])
    return request
