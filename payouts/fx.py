"""Currencies: the rates table, loaded from a file the operator chooses, and the one conversion.

Nothing is fetched: `manage.py fx_rates_load <file>` reads the ECB's daily reference rates
(eurofxref-daily.xml, or the 90-day/historic XML, which hold several days) or a CSV of
`date,base,quote,rate` rows, and stores them as `FxRate` rows (a day's rate for a pair loaded
again replaces it; booked entries keep the rate they stored).

A conversion (docs/design.md, "Payout arithmetic"): the amount is first computed and rounded in
the offer's currency (offers.terms), then multiplied by the booking rate and rounded ONCE in the
publisher's currency: `fx_convert`. The rate used is stored on the ledger entry, and whatever
later books against the same conversion (a reversal, an adjustment) converts at that stored
rate. The booking rate is the latest rate on or before the day the money was earned (the
conversion's day, or the click day for CPC and CPM), no older than FX_RATE_MAX_AGE_DAYS: the
ECB publishes no rates on weekends and holidays.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

from core.errors import DomainError
from core.money import currency_is_known, money_round
from payouts.models import FxRate

# Every rate is kept, and multiplied, at this many decimal places (the column's scale).
RATE_QUANTUM = Decimal("1e-10")
FX_RATE_MAX_AGE_DAYS = 7
# The hold reason of a conversion whose publisher is paid in a currency we have no rate for
# (tracking's Conversion.HoldReason.FX_RATE_MISSING).
FX_RATE_MISSING = "fx_rate_missing"
# Cross rates go through the ECB's base.
PIVOT = "EUR"

_ECB_NS = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"


class FxRateMissingError(DomainError):
    """No stored rate converts one currency into another on that day."""


class FxFileError(DomainError):
    """A rates file that cannot be read: its line or element is named."""


@dataclass(frozen=True, slots=True)
class RateRow:
    date: date
    base: str
    quote: str
    rate: Decimal


def _rate(text: str, where: str) -> Decimal:
    try:
        rate = Decimal(text.strip())
    except InvalidOperation:
        raise FxFileError("fx_file_invalid", f"{where}: rate {text!r} is not a number.") from None
    if not rate.is_finite() or rate <= 0:
        raise FxFileError("fx_file_invalid", f"{where}: rate {text!r} is not positive.")
    return rate.quantize(RATE_QUANTUM)


def _currency(code: str, where: str) -> str:
    code = code.strip().upper()
    if not currency_is_known(code):
        raise FxFileError("fx_file_invalid", f"{where}: unknown currency {code!r}.")
    return code


def fx_rates_parse_ecb(*, text: str) -> list[RateRow]:
    """The ECB's eurofxref XML: Cube[time] > Cube[currency, rate], each 1 EUR = rate currency."""
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 (the operator's own file, no entities)
    except ElementTree.ParseError as error:
        raise FxFileError("fx_file_invalid", f"Not ECB XML: {error}.") from None
    rows: list[RateRow] = []
    for day in root.iter(f"{{{_ECB_NS}}}Cube"):
        stamp = day.get("time")
        if stamp is None:
            continue
        try:
            on = date.fromisoformat(stamp)
        except ValueError:
            raise FxFileError("fx_file_invalid", f"Cube time {stamp!r} is not a date.") from None
        for cube in day:
            where = f"{stamp} {cube.get('currency')}"
            rows.append(
                RateRow(
                    date=on,
                    base=PIVOT,
                    quote=_currency(cube.get("currency") or "", where),
                    rate=_rate(cube.get("rate") or "", where),
                )
            )
    if not rows:
        raise FxFileError("fx_file_invalid", "No rates found in the ECB XML.")
    return rows


def fx_rates_parse_csv(*, text: str) -> list[RateRow]:
    """A CSV with the header `date,base,quote,rate`: 1 base = rate quote on that date."""
    reader = csv.DictReader(io.StringIO(text))
    wanted = {"date", "base", "quote", "rate"}
    if not wanted <= set(reader.fieldnames or ()):
        raise FxFileError("fx_file_invalid", "The CSV header must name date, base, quote, rate.")
    rows: list[RateRow] = []
    for number, line in enumerate(reader, start=2):
        where = f"line {number}"
        try:
            on = date.fromisoformat(line["date"].strip())
        except ValueError:
            raise FxFileError(
                "fx_file_invalid", f"{where}: {line['date']!r} is not a date."
            ) from None
        base = _currency(line["base"], where)
        quote = _currency(line["quote"], where)
        if base == quote:
            raise FxFileError("fx_file_invalid", f"{where}: base and quote are both {base}.")
        rows.append(RateRow(date=on, base=base, quote=quote, rate=_rate(line["rate"], where)))
    if not rows:
        raise FxFileError("fx_file_invalid", "The CSV holds no rates.")
    return rows


def fx_rates_parse(*, text: str) -> list[RateRow]:
    """ECB XML if it looks like XML, else the CSV form."""
    if text.lstrip().startswith("<"):
        return fx_rates_parse_ecb(text=text)
    return fx_rates_parse_csv(text=text)


def fx_rates_store(*, rows: list[RateRow], source: str = "") -> int:
    """Store rows (a day's rate for a pair loaded again replaces the stored one). Returns how
    many rows were written."""
    FxRate.objects.bulk_create(
        [
            FxRate(date=row.date, base=row.base, quote=row.quote, rate=row.rate, source=source)
            for row in rows
        ],
        update_conflicts=True,
        unique_fields=["date", "base", "quote"],
        update_fields=["rate", "source", "loaded_at"],
    )
    return len(rows)


def _latest(base: str, quote: str, on: date) -> Decimal | None:
    oldest = on - timedelta(days=FX_RATE_MAX_AGE_DAYS)
    return (
        FxRate.objects.filter(base=base, quote=quote, date__lte=on, date__gte=oldest)
        .order_by("-date")
        .values_list("rate", flat=True)
        .first()
    )


def _direct(base: str, quote: str, on: date) -> Decimal | None:
    rate = _latest(base, quote, on)
    if rate is not None:
        return rate
    inverse = _latest(quote, base, on)
    if inverse is not None:
        return (Decimal(1) / inverse).quantize(RATE_QUANTUM)
    return None


def fx_rate_find(*, base: str, quote: str, on: date) -> Decimal | None:
    """1 `base` in `quote` on day `on` (None: no usable rate): the pair's own rate, else its
    inverse, else the cross through EUR, each at RATE_QUANTUM."""
    if base == quote:
        return Decimal(1)
    rate = _direct(base, quote, on)
    if rate is not None:
        return rate
    to_base = _direct(PIVOT, base, on)
    to_quote = _direct(PIVOT, quote, on)
    if to_base is None or to_quote is None:
        return None
    return (to_quote / to_base).quantize(RATE_QUANTUM)


def fx_rate_require(*, base: str, quote: str, on: date) -> Decimal:
    rate = fx_rate_find(base=base, quote=quote, on=on)
    if rate is None:
        raise FxRateMissingError(
            FX_RATE_MISSING,
            f"No exchange rate {base}->{quote} on or within {FX_RATE_MAX_AGE_DAYS} days before "
            f"{on}: load one with manage.py fx_rates_load.",
            status_code=409,
        )
    return rate


def fx_convert(*, amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    """`amount` (already rounded in its own currency) at `rate`, rounded ONCE in `currency`."""
    return money_round(amount * rate, currency)
