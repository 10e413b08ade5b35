"""Per-day traffic earnings (CPC and CPM) as the ledger books them: units x price / per,
rounded once in the offer's currency, converted once for a publisher that converts, one entry
per publisher, offer and day (a re-run books nothing)."""

from datetime import date
from decimal import Decimal

from payouts.fx import RateRow, fx_rates_store
from payouts.ledger import ledger_book_traffic_day
from tests import factories

DAY = date(2026, 3, 2)


def test_a_cpm_day_books_impressions_over_a_thousand_rounded_once(db):
    publisher = factories.PublisherFactory()
    # 12,345 impressions at 2.50 EUR per thousand: 30.8625 -> 30.86 EUR.
    entry, created = ledger_book_traffic_day(
        model="cpm",
        publisher_id=publisher.id,
        offer_id=7,
        day=DAY,
        units=12_345,
        unit_price=Decimal("2.50"),
        per=1000,
        currency="EUR",
    )
    assert created and (entry.amount, entry.currency) == (Decimal("30.86"), "EUR")
    assert entry.idempotency_key == f"cpm_day:{publisher.id}:7:20260302"
    again = ledger_book_traffic_day(
        model="cpm",
        publisher_id=publisher.id,
        offer_id=7,
        day=DAY,
        units=12_345,
        unit_price=Decimal("2.50"),
        per=1000,
        currency="EUR",
    )
    assert again is not None and again[1] is False


def test_a_cpc_day_for_a_converting_publisher_is_converted_once_at_the_days_rate(db):
    publisher = factories.PublisherFactory(payout_currency="USD", convert_earnings=True)
    fx_rates_store(rows=[RateRow(date=DAY, base="EUR", quote="USD", rate=Decimal("1.085"))])
    # 431 clicks at 0.07 EUR: 30.17 EUR; x 1.085 = 32.73445 -> 32.73 USD.
    entry, _ = ledger_book_traffic_day(
        model="cpc",
        publisher_id=publisher.id,
        offer_id=7,
        day=DAY,
        units=431,
        unit_price=Decimal("0.07"),
        per=1,
        currency="EUR",
    )
    assert (entry.amount, entry.currency) == (Decimal("32.73"), "USD")
    assert (entry.source_amount, entry.source_currency, entry.fx_rate) == (
        Decimal("30.17"),
        "EUR",
        Decimal("1.085"),
    )
