"""The ledger's idempotency keys keep their formats byte for byte: rows already stored must keep
deduplicating, so a key built today equals the one a row written last year carries.

Every format is built in payouts/ledger.py (docs/design.md, "Ledger keys"); each is pinned here
with the literal string it must give.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from payouts.ledger import (
    ledger_book_cpc_hour,
    ledger_key_adjustment,
    ledger_key_conversion_change,
    ledger_key_conversion_earning,
    ledger_key_cpc_hour,
    ledger_key_payment,
    ledger_key_payment_failure,
    ledger_key_payment_sql,
)
from payouts.models import LedgerEntry
from tests import factories


def test_a_conversions_earning_is_keyed_by_the_conversion():
    assert ledger_key_conversion_earning(42) == "conversion:42:earning"


def test_a_manual_change_of_a_conversion_is_keyed_by_its_kind_and_history_row():
    assert ledger_key_conversion_change(42, "reversal", 7) == "conversion:42:reversal:7"
    assert ledger_key_conversion_change(42, "earning", 8) == "conversion:42:earning:8"
    assert ledger_key_conversion_change(42, "adjustment", 9) == "conversion:42:adjustment:9"


def test_cpc_earnings_are_keyed_by_publisher_offer_hour_and_first_click():
    hour = datetime(2026, 3, 4, 5, 0, tzinfo=UTC)
    assert ledger_key_cpc_hour(3, 11, hour, "01HZCLICKAAAA") == "cpc:3:11:2026030405:01HZCLICKAAAA"


def test_a_payment_and_its_failure_are_keyed_by_the_batch_line():
    assert ledger_key_payment(15) == "batch_line:15:payment"
    assert ledger_key_payment_failure(15) == "batch_line:15:payment_failure"


def test_an_adjustment_is_keyed_by_the_publisher_and_the_clients_key():
    assert ledger_key_adjustment(3, "abc-123") == "adjustment:3:abc-123"


@pytest.mark.django_db
def test_the_payment_key_built_in_sql_equals_the_one_built_in_python():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {ledger_key_payment_sql('%s')}", [15])
        (key,) = cursor.fetchone()
    assert key == ledger_key_payment(15) == "batch_line:15:payment"


@pytest.mark.django_db
def test_booking_writes_entries_under_those_keys_and_a_second_booking_writes_nothing():
    publisher = factories.PublisherFactory()
    offer = factories.OfferFactory(currency="USD")
    hour = datetime(2026, 3, 4, 5, 0, tzinfo=UTC)

    for _ in range(2):
        booked = ledger_book_cpc_hour(
            publisher_id=publisher.id,
            offer_id=offer.id,
            hour=hour,
            first_click_id="01HZCLICKAAAA",
            clicks=3,
            per_click=Decimal("0.035"),
            currency="USD",
        )
    assert booked is not None
    entry, created = booked
    assert not created
    assert entry.idempotency_key == f"cpc:{publisher.id}:{offer.id}:2026030405:01HZCLICKAAAA"
    assert entry.amount == Decimal("0.11")  # 3 x 0.035 = 0.105, rounded once
    assert entry.reason == "CPC: 3 unique clicks x 0.035 USD"

    assert (
        ledger_book_cpc_hour(
            publisher_id=publisher.id,
            offer_id=offer.id,
            hour=hour,
            first_click_id="01HZCLICKBBBB",
            clicks=1,
            per_click=Decimal("0.001"),
            currency="USD",
        )
        is None
    )
    assert LedgerEntry.objects.filter(publisher=publisher).count() == 1
