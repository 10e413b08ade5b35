"""Appending to the ledger. Entries are only ever inserted; a correction is a new entry."""

from decimal import Decimal

from django.db import IntegrityError, transaction

from payouts.models import LedgerEntry
from payouts.money import money_round


def ledger_entry_append(
    *,
    publisher_id: int,
    currency: str,
    kind: str,
    amount: Decimal,
    idempotency_key: str,
    conversion_id: int | None = None,
    offer_id: int | None = None,
    reason: str = "",
    created_by_id: int | None = None,
    batch_line_id: int | None = None,
) -> tuple[LedgerEntry, bool]:
    """Insert an entry unless one with `idempotency_key` exists. Returns (entry, created).

    `amount` must already be rounded to the currency's minor unit: the ledger never rounds, so
    totals are sums of rounded amounts.
    """
    if money_round(amount, currency) != amount:
        raise ValueError(f"{amount} is not rounded to {currency}'s minor unit")
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                publisher_id=publisher_id,
                currency=currency,
                kind=kind,
                amount=amount,
                idempotency_key=idempotency_key,
                conversion_id=conversion_id,
                offer_id=offer_id,
                reason=reason,
                created_by_id=created_by_id,
                batch_line_id=batch_line_id,
            )
            return entry, True
    except IntegrityError:
        existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing, False
