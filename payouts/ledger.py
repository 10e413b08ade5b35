"""Appending to the ledger. Entries are only ever inserted; a correction is a new entry."""

from decimal import Decimal

from django.db import IntegrityError, transaction

from core.bulk_insert import rows_insert
from core.money import money_round
from payouts.models import LedgerEntry


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


def ledger_entries_append(*, entries: list[LedgerEntry]) -> None:
    """Insert unsaved entries, skipping any whose `idempotency_key` exists: the batch form of
    ledger_entry_append, for writers of a thousand entries at a time (attribution).

    Every amount is checked first, so a batch with one amount not rounded to its currency's
    minor unit writes nothing. Then one INSERT ... ON CONFLICT (idempotency_key) DO NOTHING for
    the batch (core.bulk_insert; on SQLite, the keys already stored are left out): a key
    already in the ledger (or twice in the batch) keeps its first entry, and nothing is
    updated, which the ledger's append-only triggers would refuse anyway. A row breaking a
    CHECK constraint fails the batch with IntegrityError. The entries' primary keys may stay
    unset.
    """
    for entry in entries:
        if money_round(entry.amount, entry.currency) != entry.amount:
            raise ValueError(f"{entry.amount} is not rounded to {entry.currency}'s minor unit")
    if not entries:
        return
    # A savepoint, as the single form has: a refused batch leaves the caller's transaction usable.
    with transaction.atomic():
        rows_insert(objs=entries, ignore_conflicts=True, unique_fields=["idempotency_key"])
