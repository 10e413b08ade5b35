from datetime import UTC, datetime

from tests import factories
from tests.conftest import client_for
from tests.reports.conftest import clicks_ingest, convert, report

RANGE = {
    "date_from": "2026-01-10",
    "date_to": "2026-01-11",
    "metrics": "clicks,conversions,payout,cr",
}


def _late(world):
    (click,) = clicks_ingest(
        dict(offer=world.offer_a, publisher=world.pub_1, at=datetime(2026, 1, 10, 12, tzinfo=UTC))
    )
    convert(click=click, goal=world.goal_a, at=datetime(2026, 1, 11, 9, tzinfo=UTC))


def _by_day(body):
    return [(r["day"], r["clicks"], r["conversions"], r["payout"]) for r in body["rows"]]


def test_by_conversion_time_a_late_conversion_counts_on_the_day_it_arrived(world):
    _late(world)
    body = report(client_for(factories.ManagerFactory()), group_by="day", **RANGE)
    assert _by_day(body) == [("2026-01-10", 1, 0, "0.00"), ("2026-01-11", 0, 1, "7.00")]


def test_by_click_time_a_late_conversion_counts_on_the_day_of_its_click(world):
    _late(world)
    client = client_for(factories.ManagerFactory())
    body = report(client, group_by="day", basis="click", **RANGE)
    # Jan 11 holds only by-conversion-time counts: nothing to show by click time.
    assert _by_day(body) == [("2026-01-10", 1, 1, "7.00")]
    assert body["totals"][0]["cr"] == "100.00"
