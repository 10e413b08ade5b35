"""Model fields for money, so every amount column has the same precision."""

from django.db import models

from core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS


def money_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(
        max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES, **kwargs
    )


def percent_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=7, decimal_places=4, **kwargs)
