"""Money: `Decimal` amounts beside an ISO 4217 currency code, and the one rounding rule.

The rule (docs/design.md, "Payout arithmetic"): round once, to the minor unit, half-up. Every payout
and revenue goes through `money_round`; totals are sums of rounded amounts, never re-rounded.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

# Enough digits for any amount we store (max_digits=18, decimal_places=6 on money columns).
AMOUNT_MAX_DIGITS = 18
AMOUNT_DECIMAL_PLACES = 6


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def currency_is_known(code: str) -> bool:
    return code in known_currencies()


@cache
def currency_exponent(code: str) -> int:
    """Digits after the decimal point in the currency's minor unit (USD 2, JPY 0, BHD 3)."""
    if not currency_is_known(code):
        raise ValueError(f"Unknown ISO 4217 currency: {code!r}")
    return get_currency_precision(code)


def money_quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(currency))


def money_round(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half-up. The only rounding in the code base."""
    if not isinstance(amount, Decimal):
        raise TypeError("money_round takes a Decimal, never a float")
    return amount.quantize(money_quantum(currency), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        currency_exponent(self.currency)  # validates the code

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def money_str(amount: Decimal, currency: str) -> str:
    """`amount` written with exactly the currency's minor-unit digits (7.000000 USD -> "7.00").

    Stored amounts carry six decimal places; this only drops trailing zeros. It refuses an amount
    that is not already rounded rather than round it a second time.
    """
    shown = amount.quantize(money_quantum(currency))
    if shown != amount:
        raise ValueError(f"{amount} is not rounded to {currency}'s minor unit")
    return str(shown)
