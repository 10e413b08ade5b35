"""Appending to the ledger. Entries are only ever inserted; a correction is a new entry.

This module is the ledger's one write sink: it builds every entry's idempotency key and the
entries that tracking books (conversion earnings, manual changes, CPC hours), so the key
formats live in one place (docs/design.md, "Ledger keys").
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from django.db import IntegrityError, transaction

from core.bulk_insert import rows_insert
from core.money import money_round
from payouts.models import AccountingPeriod, LedgerEntry


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


# Idempotency keys. Every key the ledger holds is built here (docs/design.md, "Ledger keys").
# Rows already stored must keep deduplicating, so a format never changes: the literal strings
# are pinned by tests/payouts/test_ledger_keys.py.


def ledger_key_conversion_earning(conversion_id: int) -> str:
    """A conversion's earning, booked when attribution approves it."""
    return f"conversion:{conversion_id}:earning"


def ledger_key_conversion_change(conversion_id: int, kind: str, history_id: int) -> str:
    """A manual change of a conversion (approval, reversal, adjustment): one per history row."""
    return f"conversion:{conversion_id}:{kind}:{history_id}"


def ledger_key_cpc_hour(
    publisher_id: int, offer_id: int, hour: datetime, first_click_id: str
) -> str:
    """The CPC earnings of one publisher, offer and hour of an ingested batch of clicks, named by
    the batch's smallest click id in that group (a later batch in the same hour books its own)."""
    return f"cpc:{publisher_id}:{offer_id}:{hour:%Y%m%d%H}:{first_click_id}"


def ledger_key_payment(line_id: int) -> str:
    """A batch line's payment."""
    return f"batch_line:{line_id}:payment"


def ledger_key_payment_sql(line_id_sql: str) -> str:
    """ledger_key_payment as an SQL expression over a line id column (set-based inserts)."""
    return f"'batch_line:' || {line_id_sql} || ':payment'"


def ledger_key_payment_failure(line_id: int) -> str:
    """A batch line's failed payment put back."""
    return f"batch_line:{line_id}:payment_failure"


def ledger_key_adjustment(publisher_id: int, client_key: str) -> str:
    """A manual adjustment, from the client's Idempotency-Key (or a random one): the adjustment
    request, and the entry it becomes once confirmed, share it."""
    return f"adjustment:{publisher_id}:{client_key}"


# Booking. Tracking calls these inside its own transaction and passes what they need: the ledger
# imports nothing of tracking (a conversion is any object with the fields below).


class BookedConversion(Protocol):
    pk: Any
    publisher_id: int
    offer_id: int
    currency: str
    payout: Decimal
    created_at: datetime


def ledger_closed_period_of(*, at: datetime) -> AccountingPeriod | None:
    """The closed accounting period `at` falls in, if any."""
    return AccountingPeriod.objects.filter(
        status=AccountingPeriod.Status.CLOSED, starts_at__lte=at, ends_at__gt=at
    ).first()


def ledger_book_conversion_earnings(*, conversions: Iterable[BookedConversion]) -> None:
    """Book the payout of each newly approved conversion as an earning (one statement for the
    batch). Conversions paying nothing book nothing; a conversion booked before books nothing."""
    ledger_entries_append(
        entries=[
            LedgerEntry(
                publisher_id=conversion.publisher_id,
                currency=conversion.currency,
                kind=LedgerEntry.Kind.EARNING,
                amount=conversion.payout,
                idempotency_key=ledger_key_conversion_earning(conversion.pk),
                conversion_id=conversion.pk,
                offer_id=conversion.offer_id,
            )
            for conversion in conversions
            if conversion.payout > 0
        ]
    )


def ledger_book_conversion_change(
    *,
    conversion: BookedConversion,
    kind: str,
    amount: Decimal,
    history_id: int,
    reason: str,
    created_by_id: int,
) -> tuple[LedgerEntry, bool]:
    """Book what a manual change of a conversion moves (an earning on approval, a reversal, an
    adjustment of the difference), keyed by the change's history row.

    A conversion of a closed period (its month, by when it was made, is closed) changes only
    through an adjustment: whatever the change, the entry is of kind adjustment, names the
    closed month in its reason, and is dated now, in the open period (docs/design.md,
    "Accounting periods"), so the closed month's books stay as they were closed.
    """
    closed = ledger_closed_period_of(at=conversion.created_at)
    if closed is not None:
        reason = f"{reason} (conversion of closed period {closed.month:%Y-%m}: {kind})".strip()
        kind = LedgerEntry.Kind.ADJUSTMENT
    return ledger_entry_append(
        publisher_id=conversion.publisher_id,
        currency=conversion.currency,
        kind=kind,
        amount=amount,
        idempotency_key=ledger_key_conversion_change(conversion.pk, kind, history_id),
        conversion_id=conversion.pk,
        offer_id=conversion.offer_id,
        reason=reason,
        created_by_id=created_by_id,
    )


def ledger_book_cpc_hour(
    *,
    publisher_id: int,
    offer_id: int,
    hour: datetime,
    first_click_id: str,
    clicks: int,
    per_click: Decimal,
    currency: str,
) -> tuple[LedgerEntry, bool] | None:
    """Book `clicks` x `per_click` (rounded once) as one earning for a publisher, offer and hour.
    Books nothing (None) when the rounded amount is zero."""
    amount = money_round(per_click * Decimal(clicks), currency)
    if not amount:
        return None
    return ledger_entry_append(
        publisher_id=publisher_id,
        currency=currency,
        kind=LedgerEntry.Kind.EARNING,
        amount=amount,
        idempotency_key=ledger_key_cpc_hour(publisher_id, offer_id, hour, first_click_id),
        offer_id=offer_id,
        reason=f"CPC: {clicks} unique clicks x {per_click} {currency}",
    )
