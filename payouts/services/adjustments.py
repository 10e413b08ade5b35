"""Manual ledger adjustments: a bonus, a correction, a fee. Always with an author and a reason."""

import uuid
from decimal import Decimal

from accounts.models import User
from affiliates.models import Publisher
from config.errors import DomainError, NotFoundError
from payouts.ledger import ledger_entry_append
from payouts.models import LedgerEntry
from payouts.money import currency_is_known, money_round
from payouts.services.roles import require_finance


def ledger_adjustment_create(
    *,
    publisher_id: int,
    currency: str,
    amount: Decimal,
    reason: str,
    created_by: User,
    idempotency_key: str | None = None,
) -> LedgerEntry:
    """Append a signed adjustment. The amount must already be in the currency's minor unit: we
    refuse to round what a person typed. A repeated `idempotency_key` returns the first entry."""
    require_finance(created_by)
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
    if not Publisher.objects.filter(id=publisher_id).exists():
        raise NotFoundError.for_field("publisher", "not_found", f"No publisher {publisher_id}.")
    key = f"adjustment:{publisher_id}:{idempotency_key or uuid.uuid4().hex}"
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
