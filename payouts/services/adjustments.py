"""Manual ledger adjustments: a bonus, a correction, a fee. Always with an author and a reason.

Small ones are entries at once. Once what one author has adjusted for one publisher (summed
per currency since the publisher's last paid batch, this one included) is above
PAYOUT_ADJUSTMENT_CONFIRM_ABOVE, the adjustment waits as an AdjustmentRequest until a second
finance user confirms it (accounts.policy LEDGER_ADJUST_CONFIRM); only then is it an entry.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from accounts.models import User
from accounts.policy import Action, policy_require
from affiliates.models import Publisher
from core.decision_locks import pending_locked
from core.errors import DomainError, NotFoundError
from core.money import currency_is_known, money_round
from payouts.ledger import ledger_entry_append, ledger_key_adjustment
from payouts.models import AdjustmentRequest, LedgerEntry, PayoutBatch, PayoutBatchLine


def _adjusted_since_last_paid(*, publisher_id: int, currency: str, author_id: int) -> Decimal:
    """What `author_id` has adjusted by hand for this publisher and currency since the
    publisher's last paid batch in that currency."""
    last_paid = PayoutBatchLine.objects.filter(
        publisher_id=publisher_id, currency=currency, batch__status=PayoutBatch.Status.PAID
    ).aggregate(at=Max("batch__paid_at"))["at"]
    entries = LedgerEntry.objects.filter(
        publisher_id=publisher_id,
        currency=currency,
        kind=LedgerEntry.Kind.ADJUSTMENT,
        conversion__isnull=True,
        created_by_id=author_id,
    )
    if last_paid is not None:
        entries = entries.filter(created_at__gt=last_paid)
    return entries.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def ledger_adjustment_create(
    *,
    publisher_id: int,
    currency: str,
    amount: Decimal,
    reason: str,
    created_by: User,
    idempotency_key: str | None = None,
) -> LedgerEntry | AdjustmentRequest:
    """Append a signed adjustment, or, above the confirmation limit, ask for one.

    The amount must already be in the currency's minor unit: we refuse to round what a person
    typed. A repeated `idempotency_key` returns the first entry (or request).
    """
    policy_require(
        action=Action.LEDGER_ADJUST, user=created_by, facts={"publisher_id": publisher_id}
    )
    if not currency_is_known(currency):
        raise DomainError.for_field("currency", "unknown_currency", f"Unknown currency {currency}.")
    if amount == 0:
        raise DomainError.for_field("amount", "zero_amount", "An adjustment cannot be zero.")
    if money_round(amount, currency) != amount:
        raise DomainError.for_field(
            "amount", "not_rounded", f"{amount} has more decimals than {currency} allows."
        )
    if not reason.strip():
        raise DomainError.for_field("reason", "required", "An adjustment needs a reason.")
    key = ledger_key_adjustment(publisher_id, idempotency_key or uuid.uuid4().hex)
    with transaction.atomic():
        # One adjustment per publisher at a time, so two at once cannot each stay under the
        # limit that their sum is above.
        if not Publisher.objects.select_for_update().filter(id=publisher_id).exists():
            raise NotFoundError.for_field("publisher", "not_found", f"No publisher {publisher_id}.")
        earlier = AdjustmentRequest.objects.filter(idempotency_key=key).first()
        if earlier is not None:
            return earlier
        earlier_entry = LedgerEntry.objects.filter(idempotency_key=key).first()
        if earlier_entry is not None:
            return earlier_entry
        adjusted = _adjusted_since_last_paid(
            publisher_id=publisher_id, currency=currency, author_id=created_by.id
        )
        if adjusted + amount > Decimal(settings.PAYOUT_ADJUSTMENT_CONFIRM_ABOVE):
            return AdjustmentRequest.objects.create(
                publisher_id=publisher_id,
                currency=currency,
                amount=amount,
                reason=reason.strip(),
                idempotency_key=key,
                requested_by=created_by,
            )
        entry, _created = ledger_entry_append(
            publisher_id=publisher_id,
            currency=currency,
            kind=LedgerEntry.Kind.ADJUSTMENT,
            amount=amount,
            idempotency_key=key,
            reason=reason.strip(),
            created_by_id=created_by.id,
        )
    return entry


def ledger_adjustment_confirm(*, request_id: int, confirmed_by: User) -> AdjustmentRequest:
    """A second finance user confirms: the adjustment becomes a ledger entry, authored by the
    requester (who therefore may not approve a batch that pays it)."""
    with transaction.atomic():
        request = pending_locked(AdjustmentRequest, request_id, label="adjustment request")
        policy_require(
            action=Action.LEDGER_ADJUST_CONFIRM,
            user=confirmed_by,
            facts={
                "requested_by_id": request.requested_by_id,
                "publisher_id": request.publisher_id,
            },
        )
        entry, _created = ledger_entry_append(
            publisher_id=request.publisher_id,
            currency=request.currency,
            kind=LedgerEntry.Kind.ADJUSTMENT,
            amount=request.amount,
            idempotency_key=request.idempotency_key,
            reason=request.reason,
            created_by_id=request.requested_by_id,
        )
        request.state = AdjustmentRequest.State.CONFIRMED
        request.decided_by = confirmed_by
        request.decided_at = timezone.now()
        request.entry = entry
        request.save(update_fields=["state", "decided_by", "decided_at", "entry"])
    return request


def ledger_adjustment_reject(*, request_id: int, rejected_by: User) -> AdjustmentRequest:
    """Refuse (or, for its requester, withdraw) a pending adjustment: nothing is written to
    the ledger."""
    with transaction.atomic():
        request = pending_locked(AdjustmentRequest, request_id, label="adjustment request")
        policy_require(
            action=Action.LEDGER_ADJUST,
            user=rejected_by,
            facts={"publisher_id": request.publisher_id},
        )
        request.state = AdjustmentRequest.State.REJECTED
        request.decided_by = rejected_by
        request.decided_at = timezone.now()
        request.save(update_fields=["state", "decided_by", "decided_at"])
    return request
