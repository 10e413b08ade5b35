from decimal import Decimal

import pytest

from core.money import Money, currency_exponent, money_round, money_str


@pytest.mark.sqlite
@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1.49925", "USD", "1.50"),
        ("0.005", "USD", "0.01"),
        ("0.004999", "USD", "0.00"),
        ("149.925", "JPY", "150"),
        ("149.5", "JPY", "150"),
        ("1.499925", "BHD", "1.500"),
        ("1.4995", "BHD", "1.500"),
        ("1.4994", "BHD", "1.499"),
    ],
)
def test_it_rounds_half_up_to_the_minor_unit(amount, currency, expected):
    rounded = money_round(Decimal(amount), currency)
    assert rounded == Decimal(expected)
    assert rounded.as_tuple().exponent == -currency_exponent(currency)


@pytest.mark.sqlite
def test_it_refuses_floats():
    with pytest.raises(TypeError):
        money_round(1.5, "USD")


@pytest.mark.sqlite
def test_it_refuses_unknown_currencies():
    with pytest.raises(ValueError, match="XYZ"):
        money_round(Decimal("1"), "XYZ")
    with pytest.raises(ValueError):
        Money(Decimal("1"), "usd")


@pytest.mark.sqlite
@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [("7.000000", "USD", "7.00"), ("150.000000", "JPY", "150"), ("1.500000", "BHD", "1.500")],
)
def test_money_str_writes_the_minor_unit_digits(amount, currency, shown):
    assert money_str(Decimal(amount), currency) == shown


@pytest.mark.sqlite
@pytest.mark.parametrize(("amount", "currency"), [("7.005", "USD"), ("149.5", "JPY")])
def test_money_str_refuses_to_round_a_second_time(amount, currency):
    with pytest.raises(ValueError, match="not rounded"):
        money_str(Decimal(amount), currency)
