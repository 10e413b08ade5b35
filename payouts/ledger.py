"""Appending to the ledger. Entries are only ever inserted; a correction is a new entry.

This module is the ledger's one write sink: it builds every entry's idempotency key and the
entries that tracking books (conversion earnings, manual changes, CPC hours), so the key
formats live in one place (docs/design.md, "Ledger keys").
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from django.db import IntegrityError, transaction

from affiliates.models import Publisher
from core.bulk_insert import rows_insert
from core.money import money_round
from payouts.fx import fx_convert, fx_rate_require
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
    fx: "Converted | None" = None,
) -> tuple[LedgerEntry, bool]:
    """Insert an entry unless one with `idempotency_key` exists. Returns (entry, created).

    `amount` must already be rounded to the currency's minor unit: the ledger never rounds, so
    totals are sums of rounded amounts. `fx`: the entry was converted (ledger_amount_convert);
    its source amount and rate are stored beside it.
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
                **(fx.entry_fields() if fx is not None else {}),
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


def ledger_key_traffic_day(model: str, publisher_id: int, offer_id: int, day: date) -> str:
    """The CPC or CPM earnings (`model`) of one publisher, offer and day, booked once the day is
    over (tracking/traffic_booking.py): one entry, so a re-run books nothing."""
    return f"{model}_day:{publisher_id}:{offer_id}:{day:%Y%m%d}"


def ledger_key_traffic_day_fix(model: str, report_id: int) -> str:
    """A correction of a booked CPM day by a later impression report (its row id): the
    difference, booked as its own entry (tracking/impression_reports.py)."""
    return f"{model}_fix:{report_id}"


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


# Currencies. A publisher with `convert_earnings` is booked in its payout currency.


@dataclass(frozen=True, slots=True)
class Converted:
    """An amount of the offer's currency booked in the publisher's: `amount` is
    money_round(source_amount x rate) in `currency`, rounded once (payouts.fx.fx_convert)."""

    amount: Decimal
    currency: str
    source_amount: Decimal
    source_currency: str
    rate: Decimal

    @classmethod
    def of(cls, *, amount: Decimal, currency: str, to: str, rate: Decimal) -> "Converted":
        return cls(
            amount=fx_convert(amount=amount, rate=rate, currency=to),
            currency=to,
            source_amount=amount,
            source_currency=currency,
            rate=rate,
        )

    def entry_fields(self) -> dict[str, Any]:
        return {
            "source_currency": self.source_currency,
            "source_amount": self.source_amount,
            "fx_rate": self.rate,
        }


def ledger_payout_currencies(*, publisher_ids: set[int]) -> dict[int, str]:
    """Publisher id -> the currency its earnings are converted into (only publishers that
    convert them)."""
    return dict(
        Publisher.objects.filter(id__in=publisher_ids, convert_earnings=True).values_list(
            "id", "payout_currency"
        )
    )


def ledger_amount_convert(
    *, amount: Decimal, currency: str, to_currency: str | None, on: date
) -> Converted | None:
    """`amount` of `currency` in `to_currency` at the rate of day `on` (None: nothing to
    convert). Raises payouts.fx.FxRateMissingError without a rate."""
    if to_currency is None or to_currency == currency:
        return None
    rate = fx_rate_require(base=currency, quote=to_currency, on=on)
    return Converted.of(amount=amount, currency=currency, to=to_currency, rate=rate)


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date()


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
    batch). Conversions paying nothing book nothing; a conversion booked before books nothing.

    A publisher with `convert_earnings` paid in another currency is booked in its own currency
    at the rate of the conversion's day (payouts/fx.py); attribution holds a conversion
    `fx_rate_missing` rather than approve it without one, so a missing rate here is an error.
    """
    paying = [conversion for conversion in conversions if conversion.payout > 0]
    if not paying:
        return
    targets = ledger_payout_currencies(publisher_ids={c.publisher_id for c in paying})
    entries = []
    for conversion in paying:
        fx = ledger_amount_convert(
            amount=conversion.payout,
            currency=conversion.currency,
            to_currency=targets.get(conversion.publisher_id),
            on=_day(conversion.created_at),
        )
        entries.append(
            LedgerEntry(
                publisher_id=conversion.publisher_id,
                currency=fx.currency if fx else conversion.currency,
                kind=LedgerEntry.Kind.EARNING,
                amount=fx.amount if fx else conversion.payout,
                idempotency_key=ledger_key_conversion_earning(conversion.pk),
                conversion_id=conversion.pk,
                offer_id=conversion.offer_id,
                **(fx.entry_fields() if fx else {}),
            )
        )
    ledger_entries_append(entries=entries)


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
    fx = _conversion_change_fx(conversion=conversion, amount=amount)
    return ledger_entry_append(
        publisher_id=conversion.publisher_id,
        currency=fx.currency if fx else conversion.currency,
        kind=kind,
        amount=fx.amount if fx else amount,
        idempotency_key=ledger_key_conversion_change(conversion.pk, kind, history_id),
        conversion_id=conversion.pk,
        offer_id=conversion.offer_id,
        reason=reason,
        created_by_id=created_by_id,
        fx=fx,
    )


def _conversion_change_fx(*, conversion: BookedConversion, amount: Decimal) -> "Converted | None":
    """How a change of a conversion is converted: as its first entry was, at that entry's stored
    rate (a reversal of a converted earning cancels it exactly: half-up rounds -x as it rounds
    x). A conversion with no entry yet (approved by hand) follows the publisher's setting."""
    first = (
        LedgerEntry.objects.filter(conversion_id=conversion.pk)
        .order_by("id")
        .values_list("currency", "fx_rate")
        .first()
    )
    if first is not None:
        currency, rate = first
        if rate is None:
            return None
        return Converted.of(amount=amount, currency=conversion.currency, to=currency, rate=rate)
    target = ledger_payout_currencies(publisher_ids={conversion.publisher_id})
    return ledger_amount_convert(
        amount=amount,
        currency=conversion.currency,
        to_currency=target.get(conversion.publisher_id),
        on=_day(conversion.created_at),
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


def ledger_cpc_hours_booked(*, start: datetime, end: datetime) -> set[tuple[int, int]]:
    """(publisher, offer) pairs with CPC earnings booked per hour at ingest (keys `cpc:`, the
    former TRAFFIC_BOOKING=hourly) for an hour in [start, end): the daily booking pays those
    days no second time."""
    found: set[tuple[int, int]] = set()
    keys = LedgerEntry.objects.filter(
        idempotency_key__startswith="cpc:",
        created_at__gte=start,
        created_at__lt=end + timedelta(days=1),
    ).values_list("idempotency_key", flat=True)
    for key in keys:
        _, publisher, offer, hour, _ = key.split(":", 4)
        at = datetime.strptime(hour, "%Y%m%d%H").replace(tzinfo=UTC)
        if start <= at < end:
            found.add((int(publisher), int(offer)))
    return found


def ledger_book_traffic_day(
    *,
    model: str,
    publisher_id: int,
    offer_id: int,
    day: date,
    units: int,
    unit_price: Decimal,
    per: int,
    currency: str,
    detail: str = "",
) -> tuple[LedgerEntry, bool] | None:
    """Book one day's CPC or CPM earning: `units` x `unit_price` / `per` (per 1 click, per 1000
    impressions), rounded once in the offer's `currency`, then, for a publisher that converts,
    at the day's rate and rounded once in its own. Books nothing (None) when the amount is
    zero. `detail` says what was counted and left out (fraud, repeats, caps)."""
    amount = money_round(unit_price * Decimal(units) / Decimal(per), currency)
    if not amount:
        return None
    target = ledger_payout_currencies(publisher_ids={publisher_id}).get(publisher_id)
    fx = ledger_amount_convert(amount=amount, currency=currency, to_currency=target, on=day)
    unit = "clicks" if per == 1 else f"impressions / {per}"
    reason = f"{model.upper()} {day:%Y-%m-%d}: {units} {unit} x {unit_price} {currency}"
    return ledger_entry_append(
        publisher_id=publisher_id,
        currency=fx.currency if fx else currency,
        kind=LedgerEntry.Kind.EARNING,
        amount=fx.amount if fx else amount,
        idempotency_key=ledger_key_traffic_day(model, publisher_id, offer_id, day),
        offer_id=offer_id,
        reason=f"{reason}{'; ' + detail if detail else ''}",
        fx=fx,
    )


def ledger_book_traffic_day_correction(
    *,
    model: str,
    publisher_id: int,
    offer_id: int,
    day: date,
    report_id: int,
    change: Decimal,
    currency: str,
    reason: str,
) -> tuple[LedgerEntry, bool] | None:
    """Book the difference a correction makes to a booked CPC or CPM day: `change` (already
    rounded in the offer's `currency`; negative when the day earned less) as an earning or a
    reversal, never by rewriting the day's entry. Converted as the day's entry was, at its
    stored rate; without one, as the publisher converts, at the day's rate. None when zero."""
    if not change:
        return None
    first = (
        LedgerEntry.objects.filter(
            idempotency_key=ledger_key_traffic_day(model, publisher_id, offer_id, day)
        )
        .values_list("currency", "fx_rate")
        .first()
    )
    fx: Converted | None
    if first is not None:
        to_currency, rate = first
        fx = (
            None
            if rate is None
            else Converted.of(amount=change, currency=currency, to=to_currency, rate=rate)
        )
    else:
        target = ledger_payout_currencies(publisher_ids={publisher_id}).get(publisher_id)
        fx = ledger_amount_convert(amount=change, currency=currency, to_currency=target, on=day)
    amount = fx.amount if fx else change
    return ledger_entry_append(
        publisher_id=publisher_id,
        currency=fx.currency if fx else currency,
        kind=LedgerEntry.Kind.EARNING if amount >= 0 else LedgerEntry.Kind.REVERSAL,
        amount=amount,
        idempotency_key=ledger_key_traffic_day_fix(model, report_id),
        offer_id=offer_id,
        reason=reason,
        fx=fx,
    )
