from datetime import UTC, datetime

import pytest
from django.db import transaction

from tests import factories
from tests.conftest import client_for
from tests.reports.conftest import clicks_ingest, conversion_change, convert, report
from tracking.hooks import after_conversion_changed

AT = datetime(2026, 1, 10, 10, tzinfo=UTC)
QUERY = {
    "group_by": "offer",
    "date_from": "2026-01-10",
    "date_to": "2026-01-10",
    "metrics": "conversions,approved,pending,reversed,revenue,payout",
}


@pytest.fixture
def pending(world):
    (click,) = clicks_ingest(dict(offer=world.offer_a, publisher=world.pub_1, at=AT))
    return convert(click=click, goal=world.goal_a, at=AT, status="pending")


def _figures(client):
    (row,) = report(client, **QUERY)["rows"]
    return {
        k: row[k] for k in ("conversions", "approved", "pending", "reversed", "revenue", "payout")
    }


def test_approving_moves_the_count_and_brings_the_money_in(pending):
    client = client_for(factories.ManagerFactory())
    assert _figures(client) == dict(
        conversions=1, approved=0, pending=1, reversed=0, revenue="0.00", payout="0.00"
    )
    conversion_change(pending, status="approved")
    assert _figures(client) == dict(
        conversions=1, approved=1, pending=0, reversed=0, revenue="10.00", payout="7.00"
    )


def test_a_reversal_takes_the_conversion_and_its_money_out(pending):
    conversion_change(pending, status="approved")
    conversion_change(pending, status="reversed")
    assert _figures(client_for(factories.ManagerFactory())) == dict(
        conversions=0, approved=0, pending=0, reversed=1, revenue="0.00", payout="0.00"
    )


def test_an_amount_adjustment_counts_the_difference_and_a_repeated_call_nothing(pending):
    conversion_change(pending, status="approved")
    conversion_change(pending, payout="5.50")
    with transaction.atomic():
        after_conversion_changed(conversion=pending, previous_status="approved")
    figures = _figures(client_for(factories.ManagerFactory()))
    assert (figures["approved"], figures["payout"], figures["revenue"]) == (1, "5.50", "10.00")


def test_counts_roll_back_with_the_writers_transaction(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        clicks_ingest(dict(offer=world.offer_a, publisher=world.pub_1, at=AT))
        raise RuntimeError("the ingester's batch failed")
    body = report(client_for(factories.ManagerFactory()), **QUERY)
    assert body["rows"] == []
