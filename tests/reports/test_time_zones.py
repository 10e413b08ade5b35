from datetime import UTC, datetime

import pytest

from tests import factories
from tests.conftest import client_for
from tests.reports.conftest import clicks_ingest, report


def _click(world, at):
    return dict(offer=world.offer_a, publisher=world.pub_1, at=at)


@pytest.mark.sqlite
def test_a_click_at_half_past_eleven_utc_lands_on_the_next_day_in_berlin(world):
    clicks_ingest(_click(world, datetime(2026, 1, 10, 23, 30, tzinfo=UTC)))
    client = client_for(factories.ManagerFactory())
    window = {"date_from": "2026-01-10", "date_to": "2026-01-11", "metrics": "clicks"}

    utc = report(client, group_by="day", **window)["rows"]
    berlin = report(client, group_by="day", tz="Europe/Berlin", **window)["rows"]
    hours = report(client, group_by="hour", tz="Europe/Berlin", **window)["rows"]

    assert [(r["day"], r["clicks"]) for r in utc] == [("2026-01-10", 1)]
    assert [(r["day"], r["clicks"]) for r in berlin] == [("2026-01-11", 1)]
    assert [(r["hour"], r["clicks"]) for r in hours] == [("2026-01-11T00:00:00+01:00", 1)]


def test_a_range_in_berlin_takes_its_edge_hours_and_leaves_out_the_next_local_day(world):
    clicks_ingest(
        _click(world, datetime(2026, 1, 9, 23, 30, tzinfo=UTC)),  # Jan 10, 00:30 in Berlin
        _click(world, datetime(2026, 1, 11, 12, 0, tzinfo=UTC)),
        _click(world, datetime(2026, 1, 12, 22, 59, tzinfo=UTC)),  # Jan 12, 23:59 in Berlin
        _click(world, datetime(2026, 1, 12, 23, 30, tzinfo=UTC)),  # Jan 13 in Berlin: out
        _click(world, datetime(2026, 1, 9, 22, 30, tzinfo=UTC)),  # Jan 9 in Berlin: out
    )
    client = client_for(factories.ManagerFactory())
    window = {"date_from": "2026-01-10", "date_to": "2026-01-12", "metrics": "clicks"}

    # By offer, whole UTC days come from the daily tables and the edge hours from hourly ones;
    # by day in Berlin, everything comes from hours. Both must agree.
    by_offer = report(client, group_by="offer", tz="Europe/Berlin", **window)["rows"]
    by_day = report(client, group_by="day", tz="Europe/Berlin", **window)["rows"]

    assert [r["clicks"] for r in by_offer] == [3]
    assert [(r["day"], r["clicks"]) for r in by_day] == [
        ("2026-01-10", 1),
        ("2026-01-11", 1),
        ("2026-01-12", 1),
    ]
