"""`{{ amount|money:currency }}`: an amount with its currency's minor-unit digits."""

from decimal import Decimal

from django import template

from core.money import currency_is_known, money_str

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return ""
    if not currency_is_known(currency):
        return str(amount)
    try:
        return money_str(amount, currency)
    except ValueError:
        # Not rounded to the minor unit (a terms figure, say): shown whole, never re-rounded.
        return str(amount.normalize())
