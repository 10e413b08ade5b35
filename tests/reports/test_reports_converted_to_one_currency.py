"""?currency=USD: each day's money converted at that day's stored rate, rounded once in the
target currency; a day without a rate stays in its own currency, flagged, never dropped."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from payouts.fx import RateRow, fx_rates_store
from tests import factories
from tests.conftest import client_for
from tests.reports.conftest import clicks_ingest, convert, report

DAY_1 = datetime(2026, 1, 10, 10, tzinfo=UTC)  # no EUR rate on or before it
DAY_2 = datetime(2026, 1, 11, 10, tzinfo=UTC)
RANGE = {"date_from": "2026-01-10", "date_to": "2026-01-11", "tz": "UTC"}


@pytest.fixture
def traffic(world):
    fx_rates_store(
        rows=[RateRow(date=DAY_2.date(), base="EUR", quote="USD", rate=Decimal("1.0850"))]
    )
    clicks = clicks_ingest(
        dict(offer=world.offer_a, publisher=world.pub_1, at=DAY_1),
        dict(offer=world.offer_b, publisher=world.pub_1, at=DAY_1),
        dict(offer=world.offer_b, publisher=world.pub_1, at=DAY_2),
    )
    convert(click=clicks[0], goal=world.goal_a, at=DAY_1)  # 10.00 / 7.00 USD
    convert(click=clicks[1], goal=world.goal_b, at=DAY_1)  # 10.00 / 7.00 EUR, no rate
    convert(click=clicks[2], goal=world.goal_b, at=DAY_2)  # 10.00 / 7.00 EUR at 1.0850
    return world


def _manager():
    return client_for(factories.ManagerFactory())


def test_each_days_money_is_converted_at_its_rate_and_a_day_without_one_is_flagged(traffic):
    body = report(_manager(), group_by="offer", metrics="revenue,payout", currency="USD", **RANGE)
    rows = {
        (row["offer"], row["currency"]): (row["revenue"], row["payout"], row["fx_rate_missing"])
        for row in body["rows"]
    }
    assert rows == {
        (traffic.offer_a.id, "USD"): ("10.00", "7.00", False),
        # 10.00 EUR x 1.0850 = 10.85; 7.00 EUR x 1.0850 = 7.595, rounded once to 7.60.
        (traffic.offer_b.id, "USD"): ("10.85", "7.60", False),
        (traffic.offer_b.id, "EUR"): ("10.00", "7.00", True),
    }
    assert "fx_rate_missing" in body["columns"]
    totals = {total["currency"]: total["revenue"] for total in body["totals"]}
    assert totals == {"USD": "20.85", "EUR": "10.00"}


def test_grouped_by_day_each_day_shows_what_it_could_convert(traffic):
    body = report(_manager(), group_by="day", metrics="revenue", currency="USD", **RANGE)
    assert [
        (row["day"], row["currency"], row["revenue"], row["fx_rate_missing"])
        for row in body["rows"]
    ] == [
        ("2026-01-10", "EUR", "10.00", True),
        ("2026-01-10", "USD", "10.00", False),
        ("2026-01-11", "USD", "10.85", False),
    ]


def test_without_currency_the_report_keeps_each_currency_and_no_flag(traffic):
    body = report(_manager(), group_by="offer", metrics="revenue", **RANGE)
    assert {row["currency"] for row in body["rows"]} == {"USD", "EUR"}
    assert "fx_rate_missing" not in body["columns"]


def test_an_unknown_currency_is_refused(traffic):
    response = _manager().get("/api/v1/reports/", {"currency": "XYZ", **RANGE})
    assert response.status_code == 400
    assert "currency" in response.json()["error"]["fields"]
