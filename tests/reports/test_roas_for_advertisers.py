"""ROAS and cost for advertisers: sale amounts summed against revenue, per offer and publisher,
in the API, the CSV and the advertiser's report page; sub ids stay the publishers'."""

from datetime import UTC, datetime

import pytest

from tests import factories
from tests.conftest import client_for
from tests.portal.conftest import client_as, saved
from tests.reports.conftest import clicks_ingest, convert, report

AT = datetime(2026, 1, 10, 10, tzinfo=UTC)
DAY = {"date_from": "2026-01-10", "date_to": "2026-01-10"}


@pytest.fixture
def sales(world):
    clicks = clicks_ingest(
        dict(offer=world.offer_a, publisher=world.pub_1, at=AT, sub1="fb-ad-7"),
        dict(offer=world.offer_a, publisher=world.pub_1, at=AT),
        dict(offer=world.offer_a, publisher=world.pub_2, at=AT),
    )
    # pub_1: sales 120.00 + 80.00 against revenue 10.00 + 10.00 -> ROAS 10.00
    convert(click=clicks[0], goal=world.goal_a, at=AT, sale_amount="120.00")
    convert(click=clicks[1], goal=world.goal_a, at=AT, sale_amount="80.00")
    # pub_2: a sale of 25.00 against revenue 10.00 -> ROAS 2.50
    convert(click=clicks[2], goal=world.goal_a, at=AT, sale_amount="25.00")
    return world


def test_an_advertiser_sees_sales_against_revenue_per_offer_and_publisher(sales):
    client = client_for(factories.AdvertiserUserFactory(advertiser=sales.advertiser_a))
    body = report(client, group_by="offer,publisher", metrics="revenue,sale_amount,roas", **DAY)
    assert [(r["publisher"], r["revenue"], r["sale_amount"], r["roas"]) for r in body["rows"]] == [
        (sales.pub_1.id, "20.00", "200.00", "10.00"),
        (sales.pub_2.id, "10.00", "25.00", "2.50"),
    ]
    # 225.00 / 30.00 = 7.50
    assert body["totals"][0]["roas"] == "7.50"


def test_roas_is_in_the_csv_export(sales):
    client = client_for(factories.AdvertiserUserFactory(advertiser=sales.advertiser_a))
    response = client.get(
        "/api/v1/reports/",
        {"group_by": "offer", "metrics": "revenue,sale_amount,roas", "format": "csv", **DAY},
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    lines = text.decode().splitlines()
    assert "roas" in lines[0] and "sale_amount" in lines[0]
    assert any("225.00" in line and "7.50" in line for line in lines[1:])


def test_a_publisher_may_not_read_roas(sales):
    client = client_for(factories.PublisherUserFactory(publisher=sales.pub_1))
    response = client.get("/api/v1/reports/", {"metrics": "roas", **DAY})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "metric_not_allowed"


@pytest.mark.parametrize("name", ["sub1", "sub5", "source"])
def test_an_advertiser_may_not_group_or_filter_by_a_publishers_sub_ids(sales, name):
    client = client_for(factories.AdvertiserUserFactory(advertiser=sales.advertiser_a))
    grouped = client.get("/api/v1/reports/", {"group_by": name, **DAY})
    assert grouped.status_code == 400
    assert grouped.json()["error"]["code"] == "dimension_not_allowed"
    filtered = client.get("/api/v1/reports/", {name: "fb-ad-7", **DAY})
    assert filtered.status_code == 400


def test_the_advertisers_report_page_shows_sales_and_roas_but_no_sub_ids(sales):
    user = saved(factories.AdvertiserUserFactory(advertiser=sales.advertiser_a))
    page = client_as(user).get("/reports/", {"group_by": "offer", **DAY})
    assert page.status_code == 200
    html = page.content.decode()
    assert "225.00" in html and "7.50" in html
    assert "fb-ad-7" not in html and 'value="sub1"' not in html
