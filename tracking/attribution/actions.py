"""Manual actions on a conversion: approve, reject, reverse, adjust.

Each locks the conversion, checks the transition, writes a history row and the ledger entries
the change implies, in one transaction: approving earns the payout, reversing an approved
conversion takes it back (a negative entry), adjusting an approved one books the difference.
Ledger idempotency keys carry the history row's id, so each action moves money exactly once.
Caps are not re-checked here: a person approving past a cap decided to.
"""

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from config.errors import DomainError, NotFoundError
from payouts.ledger import ledger_entry_append
from payouts.models import LedgerEntry
from payouts.money import money_round
from tracking.hooks import after_conversion_changed
from tracking.models import Conversion, ConversionHistory

Status = Conversion.Status
Action = ConversionHistory.Action

ALLOWED_FROM = {
    Action.APPROVE: {Status.PENDING, Status.REJECTED},
    Action.REJECT: {Status.PENDING},
    Action.REVERSE: {Status.APPROVED},
    Action.ADJUST: {Status.PENDING, Status.APPROVED},
}
TARGET = {Action.APPROVE: Status.APPROVED, Action.REJECT: Status.REJECTED}


def _locked(conversion_id: int) -> Conversion:
    conversion = Conversion.objects.select_for_update().filter(id=conversion_id).first()
    if conversion is None:
        raise NotFoundError("not_found", "No such conversion.")
    return conversion


def _amount(value: str | Decimal | None, currency: str, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise DomainError.for_field(field, "invalid_amount", "A non-negative decimal amount.")
    return money_round(amount, currency)


def conversion_act(
    *,
    conversion_id: int,
    action: str,
    actor_id: int | None,
    reason: str = "",
    payout: str | Decimal | None = None,
    revenue: str | Decimal | None = None,
) -> Conversion:
    """Apply one manual action. Raises DomainError (409) for a transition that is not allowed."""
    if action not in ALLOWED_FROM:
        raise DomainError.for_field("action", "invalid_action", f"Unknown action {action!r}.")
    if action == Action.REVERSE and not reason.strip():
        raise DomainError.for_field("reason", "reason_required", "Say why it is reversed.")
    try:
        with transaction.atomic():
            return _act(
                conversion_id=conversion_id,
                action=action,
                actor_id=actor_id,
                reason=reason,
                payout=payout,
                revenue=revenue,
            )
    except IntegrityError as exc:
        # Approving a rejected duplicate would give two conversions one txn id (or click+goal).
        raise DomainError(
            "conflict",
            "Another conversion already holds this transaction id or click and goal.",
            status_code=409,
        ) from exc


def _act(*, conversion_id, action, actor_id, reason, payout, revenue) -> Conversion:
    conversion = _locked(conversion_id)
    previous = conversion.status
    if previous not in ALLOWED_FROM[action]:
        raise DomainError(
            "invalid_transition", f"Cannot {action} a {previous} conversion.", status_code=409
        )
    old_payout, old_revenue = conversion.payout, conversion.revenue
    if action == Action.ADJUST:
        new_payout = _amount(payout, conversion.currency, "payout")
        new_revenue = _amount(revenue, conversion.currency, "revenue")
        if new_payout is None and new_revenue is None:
            raise DomainError.for_field("payout", "amount_required", "Give payout or revenue.")
        conversion.payout = old_payout if new_payout is None else new_payout
        conversion.revenue = old_revenue if new_revenue is None else new_revenue
    elif action == Action.REVERSE:
        conversion.status = Status.REVERSED
        conversion.reject_reason = "reversed"
    else:
        conversion.status = TARGET[action]
        conversion.reject_reason = "manual" if action == Action.REJECT else ""
    conversion.save()
    history = ConversionHistory.objects.create(
        conversion=conversion,
        action=action,
        from_status=previous,
        to_status=conversion.status,
        old_payout=old_payout,
        new_payout=conversion.payout,
        old_revenue=old_revenue,
        new_revenue=conversion.revenue,
        reason=reason,
        actor_id=actor_id,
    )
    entry = _ledger_change(conversion=conversion, previous=previous, old_payout=old_payout)
    if entry is not None:
        kind, amount = entry
        ledger_entry_append(
            publisher_id=conversion.publisher_id,
            currency=conversion.currency,
            kind=kind,
            amount=amount,
            idempotency_key=f"conversion:{conversion.pk}:{kind}:{history.pk}",
            conversion_id=conversion.pk,
            offer_id=conversion.offer_id,
            reason=f"{action}: {reason}".strip(": "),
            created_by_id=actor_id,
        )
    after_conversion_changed(conversion=conversion, previous_status=previous)
    if conversion.status != previous:
        _notify_after_commit(conversion_id=conversion.pk, event=conversion.status)
    return conversion


def _ledger_change(
    *, conversion: Conversion, previous: str, old_payout: Decimal
) -> tuple[str, Decimal] | None:
    if conversion.status == Status.APPROVED and previous != Status.APPROVED:
        return (LedgerEntry.Kind.EARNING, conversion.payout) if conversion.payout else None
    if conversion.status == Status.REVERSED:
        return (LedgerEntry.Kind.REVERSAL, -old_payout) if old_payout else None
    if conversion.status == Status.APPROVED and conversion.payout != old_payout:
        return LedgerEntry.Kind.ADJUSTMENT, conversion.payout - old_payout
    return None


def _notify_after_commit(*, conversion_id: int, event: str) -> None:
    def run() -> None:
        from tracking.tasks.postbacks import postbacks_for_conversions

        postbacks_for_conversions.delay(conversion_ids=[conversion_id], event=event)

    transaction.on_commit(run)
