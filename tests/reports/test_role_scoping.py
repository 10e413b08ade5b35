from datetime import UTC, datetime

import pytest

from tests import factories
from tests.conftest import client_for
from tests.reports.conftest import clicks_ingest, convert, report

AT = datetime(2026, 1, 10, 10, tzinfo=UTC)
DAY = {"date_from": "2026-01-10", "date_to": "2026-01-10"}


@pytest.fixture
def traffic(world):
    clicks = clicks_ingest(
        dict(offer=world.offer_a, publisher=world.pub_1, at=AT),
        dict(offer=world.offer_a, publisher=world.pub_2, at=AT),
        dict(offer=world.offer_b, publisher=world.pub_2, at=AT),
    )
    for click, goal in zip(clicks, (world.goal_a, world.goal_a, world.goal_b), strict=True):
        convert(click=click, goal=goal, at=AT)
    return world


def test_a_publisher_sees_its_own_traffic_and_payout_never_revenue(traffic):
    client = client_for(factories.PublisherUserFactory(publisher=traffic.pub_1))
    body = report(client, group_by="offer", **DAY)
    assert [(r["offer"], r["clicks"], r["payout"]) for r in body["rows"]] == [
        (traffic.offer_a.id, 1, "7.00")
    ]
    assert not {"revenue", "profit", "margin"} & set(body["columns"])
    assert "revenue" not in body["rows"][0] and "revenue" not in body["totals"][0]
    assert report(client, group_by="offer", publisher=traffic.pub_2.id, **DAY)["rows"] == []


def test_a_publisher_asking_for_revenue_or_advertisers_is_refused_by_name(traffic):
    client = client_for(factories.PublisherUserFactory(publisher=traffic.pub_1))
    response = client.get("/api/v1/reports/", {"metrics": "clicks,revenue,margin", **DAY})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "metric_not_allowed"
    assert "revenue, margin" in error["fields"]["metrics"][0]
    response = client.get("/api/v1/reports/", {"group_by": "advertiser", **DAY})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "dimension_not_allowed"


def test_an_advertiser_sees_only_its_offers_and_revenue_never_payouts(traffic):
    client = client_for(factories.AdvertiserUserFactory(advertiser=traffic.advertiser_a))
    body = report(client, group_by="offer,publisher", **DAY)
    assert [(r["offer"], r["publisher"], r["revenue"]) for r in body["rows"]] == [
        (traffic.offer_a.id, traffic.pub_1.id, "10.00"),
        (traffic.offer_a.id, traffic.pub_2.id, "10.00"),
    ]
    assert not {"payout", "profit", "margin", "epc"} & set(body["columns"])
    assert report(client, offer=traffic.offer_b.id, **DAY)["rows"] == []
    response = client.get("/api/v1/reports/", {"metrics": "payout", **DAY})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "metric_not_allowed"


def test_finance_sees_every_advertiser(traffic):
    body = report(client_for(factories.FinanceUserFactory()), group_by="advertiser", **DAY)
    assert {r["advertiser"] for r in body["rows"]} == {
        traffic.advertiser_a.id,
        traffic.advertiser_b.id,
    }
