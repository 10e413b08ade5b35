"""Money bodies in the schemathesis run's positive examples, as the API reads them: what a
schema cannot say (a currency's minor unit, a period's order) made true of the example."""

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from core.money import currency_exponent, currency_is_known

INVOICES = "/api/v1/invoices/"


def amount_in_minor_units(body: dict) -> None:
    """A positive example's `amount` cut to its body currency's minor unit (JPY 0, BHD 3, else 2
    places, as for an invoice's payment): payments, top-ups and adjustments refuse more places
    than the currency has, which one schema pattern cannot say per currency (the field's
    description does). An amount the schema says is not zero stays so: one cut to zero becomes
    one minor unit of its sign. Every check still runs on the request."""
    currency, amount = body.get("currency"), body.get("amount")
    if not isinstance(amount, str):
        return
    known = isinstance(currency, str) and currency_is_known(currency)
    places = currency_exponent(currency) if known else 2
    try:
        value = Decimal(amount)
    except InvalidOperation:
        return
    if value.is_finite():
        quantum = Decimal(1).scaleb(-places)
        cut = value.quantize(quantum, rounding=ROUND_DOWN)
        if value and not cut:
            cut = quantum.copy_sign(value)
        body["amount"] = str(cut)


def period_forwards(case) -> None:
    """An invoice build's `period_end` comes after its `period_start` (billing.services.invoices:
    400 "The period ends after it starts"), a rule between two fields no schema can state."""
    body = case.body
    if case.operation.path != INVOICES or not isinstance(body, dict):
        return
    try:
        start, end = (
            date.fromisoformat(body["period_start"]),
            date.fromisoformat(body["period_end"]),
        )
    except (KeyError, TypeError, ValueError):
        return
    if end > start:
        return
    start, end = sorted((start, end))
    if start == end:
        # Both within 2000..2999 (the schema's pattern): a day either side stays inside.
        if end < date(2999, 12, 31):
            end += timedelta(days=1)
        else:
            start -= timedelta(days=1)
    body["period_start"], body["period_end"] = start.isoformat(), end.isoformat()
