"""Amounts in the schemathesis run's positive examples, as the API reads them."""

from decimal import ROUND_DOWN, Decimal, InvalidOperation

from core.money import currency_exponent, currency_is_known


def amount_in_minor_units(body: dict) -> None:
    """A positive example's `amount` cut to its body currency's minor unit (JPY 0, BHD 3, else 2
    places, as for an invoice's payment): payments, top-ups and adjustments refuse more places
    than the currency has, which one schema pattern cannot say per currency (the field's
    description does). Every check still runs on the request."""
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
        body["amount"] = str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN))
