"""Creative and landing page as dimensions of the main reports, with ROAS per creative.

Conversions carry their click's creative and landing variant, so clicks, conversions and money
land on the same row. Hand-computed figures (offer A, USD; revenue 10.00 and payout 7.00 per
approved conversion):

| creative       | landing page | clicks | conversions        | CR    | revenue | sales  | ROAS |
|----------------|--------------|--------|--------------------|-------|---------|--------|------|
| Summer banner  | spring       | 4      | 2 approved         | 50.00 | 20.00   | 199.90 | 10.00|
| Text link      | autumn       | 5      | 1 approved, 1 pend.| 40.00 | 10.00   | 25.00  | 2.50 |
| (none)         | (none)       | 1      | 0                  | 0.00  | 0.00    | 0.00   | -    |

ROAS = sales / revenue, rounded half up to 0.01 (reports/metrics.py): 199.90 / 20.00 = 9.995
-> 10.00; 25.00 / 10.00 = 2.50; the total 224.90 / 30.00 = 7.4966... -> 7.50. The 4 Summer
banner clicks are pub_1's 3 and pub_2's 1; pub_2's one converted (sale 79.90).
"""

import importlib
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.http import QueryDict

from offers.models import Creative, LandingVariant
from reports.models import ConversionCounted, CreativeDay, CreativeHour, PairDay, PairHour
from reports.plan import report_plan
from reports.query import report_query_parse
from reports.selectors import report_scope
from tests import factories
from tests.conftest import client_for
from tests.portal.conftest import client_as, saved
from tests.reports.conftest import clicks_ingest, conversion_change, convert, report
from tracking.models import Conversion

AT = datetime(2026, 1, 10, 10, tzinfo=UTC)
DAY = {"date_from": "2026-01-10", "date_to": "2026-01-10"}
WEEK = {"date_from": "2026-01-05", "date_to": "2026-01-11"}
MONEY_METRICS = "clicks,conversions,cr,revenue,sale_amount,roas"
backfill = importlib.import_module("reports.migrations.0006_backfill_creative_rollups")


@pytest.fixture
def ads(world):
    offer = world.offer_a
    banner = Creative.objects.create(
        offer=offer, name="Summer banner", kind="text", text="Sale", approved=True
    )
    text = Creative.objects.create(
        offer=offer, name="Text link", kind="text", text="Shop now", approved=True
    )
    spring = LandingVariant.objects.create(offer=offer, name="spring", url="https://a.example/s")
    autumn = LandingVariant.objects.create(offer=offer, name="autumn", url="https://a.example/a")

    def click(publisher, creative, variant, sub1=""):
        return dict(
            offer=offer,
            publisher=publisher,
            at=AT,
            creative_id=creative and creative.id,
            landing_variant_id=variant and variant.id,
            sub1=sub1,
        )

    clicks = clicks_ingest(
        click(world.pub_1, banner, spring, sub1="fb-ad-7"),
        click(world.pub_1, banner, spring),
        click(world.pub_1, banner, spring),
        click(world.pub_2, banner, spring),
        *(click(world.pub_1, text, autumn) for _ in range(5)),
        click(world.pub_1, None, None),
    )
    convert(click=clicks[0], goal=world.goal_a, at=AT, sale_amount="120.00")
    convert(click=clicks[3], goal=world.goal_a, at=AT, sale_amount="79.90")
    convert(click=clicks[4], goal=world.goal_a, at=AT, sale_amount="25.00")
    convert(click=clicks[5], goal=world.goal_a, at=AT, status="pending", sale_amount="50.00")
    world.banner, world.text, world.spring, world.autumn = banner, text, spring, autumn
    world.clicks = clicks
    return world


def _by(body, name):
    return {row[f"{name}_name"]: row for row in body["rows"]}


def _tables(user, **params) -> tuple[str, ...]:
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query[name] = value
    parsed = report_query_parse(params=query, role=user.role)
    plan = report_plan(query=parsed, scope=report_scope(user=user), vendor=connection.vendor)
    return tuple(dict.fromkeys(part.rollup.table for part in plan.parts))


def test_a_report_by_creative_counts_clicks_conversions_and_roas_on_the_creatives_row(ads):
    client = client_for(factories.ManagerFactory())
    body = report(client, group_by="creative", metrics=MONEY_METRICS + ",payout", **DAY)

    assert body["columns"][:3] == ["creative", "creative_name", "currency"]
    rows = _by(body, "creative")
    assert rows["Summer banner"] == {
        "creative": ads.banner.id,
        "creative_name": "Summer banner",
        "currency": "USD",
        "clicks": 4,
        "conversions": 2,
        "cr": "50.00",
        "revenue": "20.00",
        "sale_amount": "199.90",
        "roas": "10.00",  # 9.995 rounded half up
        "payout": "14.00",
    }
    text = rows["Text link"]
    assert (text["clicks"], text["conversions"], text["cr"]) == (5, 2, "40.00")
    assert (text["revenue"], text["sale_amount"], text["roas"]) == ("10.00", "25.00", "2.50")
    none = rows[None]
    assert none["creative"] is None
    assert (none["clicks"], none["conversions"], none["roas"]) == (1, 0, None)
    total = body["totals"][0]
    assert (total["clicks"], total["revenue"], total["sale_amount"]) == (10, "30.00", "224.90")
    assert total["roas"] == "7.50"


def test_a_report_by_landing_page_splits_the_same_way(ads):
    client = client_for(factories.ManagerFactory())
    body = report(client, group_by="landing_variant", metrics=MONEY_METRICS, **DAY)
    rows = _by(body, "landing_variant")
    assert (rows["spring"]["clicks"], rows["spring"]["roas"]) == (4, "10.00")
    assert (rows["autumn"]["clicks"], rows["autumn"]["roas"]) == (5, "2.50")
    assert rows[None]["clicks"] == 1


def test_a_filter_by_creative_keeps_only_its_rows(ads):
    client = client_for(factories.ManagerFactory())
    body = report(
        client, group_by="publisher", metrics="clicks,sale_amount", creative=ads.banner.id, **DAY
    )
    assert [(r["publisher"], r["clicks"], r["sale_amount"]) for r in body["rows"]] == [
        (ads.pub_1.id, 3, "120.00"),
        (ads.pub_2.id, 1, "79.90"),
    ]


def test_a_reversal_takes_the_money_out_of_the_creatives_row(ads):
    client = client_for(factories.ManagerFactory())
    conversion = ConversionCounted.objects.order_by("conversion_id").first()  # clicks[0]'s
    conversion_change(Conversion.objects.get(pk=conversion.conversion_id), status="reversed")
    rows = _by(
        report(client, group_by="creative", metrics="revenue,sale_amount,roas", **DAY), "creative"
    )
    # 79.90 / 10.00 = 7.99
    assert (rows["Summer banner"]["revenue"], rows["Summer banner"]["roas"]) == ("10.00", "7.99")


def test_only_reports_asking_for_creative_or_landing_page_read_the_creative_tables(ads):
    manager = factories.ManagerFactory()
    assert not any(
        "creative" in table
        for params in ({"group_by": "offer"}, {"group_by": "publisher,goal"}, {"group_by": "day"})
        for table in _tables(manager, **params, **WEEK)
    )
    for params in ({"group_by": "creative"}, {"landing_variant": str(ads.spring.id)}):
        tables = _tables(manager, **params, **WEEK)
        assert tables and set(tables) <= {"reports_creativeday", "reports_creativehour"}


@pytest.mark.parametrize(
    "params", [{"group_by": "creative,country"}, {"landing_variant": "1", "group_by": "sub2"}]
)
def test_creative_and_landing_page_do_not_combine_with_country_or_sub_ids(ads, params):
    response = client_for(factories.ManagerFactory()).get("/api/v1/reports/", {**params, **DAY})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "dimensions_incompatible"
    assert "Creative and landing page" in response.json()["error"]["message"]


def test_a_week_by_creative_from_the_daily_table_equals_its_hours(ads):
    client = client_for(factories.ManagerFactory())
    week = report(client, group_by="creative,landing_variant", metrics=MONEY_METRICS, **WEEK)
    hours = report(client, group_by="hour,creative,landing_variant", metrics=MONEY_METRICS, **WEEK)
    assert {(r["creative"], r["landing_variant"], r["clicks"]) for r in week["rows"]} == {
        (r["creative"], r["landing_variant"], r["clicks"]) for r in hours["rows"]
    }
    assert week["totals"][0]["sale_amount"] == "224.90"
    assert week["totals"][0]["roas"] == "7.50"


def test_the_api_csv_names_each_creative_beside_its_id(ads):
    client = client_for(factories.AdvertiserUserFactory(advertiser=ads.advertiser_a))
    response = client.get(
        "/api/v1/reports/",
        {"group_by": "creative", "metrics": "revenue,sale_amount,roas", "format": "csv", **DAY},
    )
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0] == "creative,creative_name,currency,revenue,sale_amount,roas"
    assert f"{ads.banner.id},Summer banner,USD,20.00,199.90,10.00" in lines
    assert f"{ads.text.id},Text link,USD,10.00,25.00,2.50" in lines


def test_an_advertiser_sees_roas_per_creative_and_landing_page_of_its_own_offers(ads):
    mine = client_for(factories.AdvertiserUserFactory(advertiser=ads.advertiser_a))
    body = report(
        mine, group_by="creative,landing_variant", metrics="revenue,sale_amount,roas", **DAY
    )
    assert {
        (r["creative_name"], r["landing_variant_name"], r["sale_amount"], r["roas"])
        for r in body["rows"]
    } == {
        ("Summer banner", "spring", "199.90", "10.00"),
        ("Text link", "autumn", "25.00", "2.50"),
    }  # the click without a creative earned nothing: no row of these metrics
    other = client_for(factories.AdvertiserUserFactory(advertiser=ads.advertiser_b))
    assert report(other, group_by="creative", creative=ads.banner.id, **DAY)["rows"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"group_by": "creative,sub1"},
        {"group_by": "creative", "source": "x"},
        {"group_by": "landing_variant", "metrics": "payout"},
        {"group_by": "creative", "metrics": "epc"},
    ],
)
def test_an_advertiser_never_gets_sub_ids_or_payouts_beside_creatives(ads, params):
    client = client_for(factories.AdvertiserUserFactory(advertiser=ads.advertiser_a))
    response = client.get("/api/v1/reports/", {**params, **DAY})
    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("dimension_not_allowed", "metric_not_allowed")


def test_a_publisher_sees_its_own_clicks_and_payout_per_creative(ads):
    client = client_for(factories.PublisherUserFactory(publisher=ads.pub_2))
    body = report(client, group_by="creative", metrics="clicks,conversions,payout", **DAY)
    assert [(r["creative_name"], r["clicks"], r["payout"]) for r in body["rows"]] == [
        ("Summer banner", 1, "7.00")
    ]


@pytest.mark.parametrize(
    "params,code",
    [
        ({"group_by": "creative", "metrics": "roas"}, "metric_not_allowed"),
        ({"group_by": "creative", "metrics": "revenue"}, "metric_not_allowed"),
        ({"group_by": "creative,advertiser"}, "dimension_not_allowed"),
        ({"group_by": "creative", "creative": "abc"}, "invalid"),
    ],
)
def test_a_publisher_is_refused_revenue_roas_and_the_advertiser_beside_creatives(ads, params, code):
    client = client_for(factories.PublisherUserFactory(publisher=ads.pub_1))
    response = client.get("/api/v1/reports/", {**params, **DAY})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_the_advertisers_report_page_and_its_csv_show_creative_names_and_roas(ads):
    user = saved(factories.AdvertiserUserFactory(advertiser=ads.advertiser_a))
    params = {"group_by": "creative", "then_by": "landing_variant", **DAY}
    page = client_as(user).get("/reports/", params)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Landing page" in html and "Summer banner" in html and "spring" in html
    assert "10.00" in html and "2.50" in html and "199.90" in html
    assert "fb-ad-7" not in html

    csv_page = client_as(user).get("/reports/", {**params, "format": "csv"})
    lines = b"".join(csv_page.streaming_content).decode().splitlines()
    assert lines[0].startswith("Creative,Landing page,Currency,")
    assert "Return on ad spend (x)" in lines[0]
    banner = next(line for line in lines if line.startswith("Summer banner,"))
    assert banner.split(",")[:2] == ["Summer banner", "spring"]
    assert banner.endswith(",20.00,199.90,10.00")
    assert any(line.startswith("(none),(none),USD,") for line in lines)
    assert not any(line.startswith(f"{ads.banner.id},") for line in lines)


def test_the_publishers_report_page_offers_creative_without_roas(ads):
    user = saved(factories.PublisherUserFactory(publisher=ads.pub_1))
    page = client_as(user).get("/reports/", {"group_by": "creative", **DAY})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Summer banner" in html and "Text link" in html
    assert "Return on ad spend" not in html


@pytest.mark.sqlite
def test_the_upgrade_copies_the_pair_tables_onto_the_none_row_of_the_creative_tables(world):
    clicks = clicks_ingest(
        dict(offer=world.offer_a, publisher=world.pub_1, at=AT),
        dict(offer=world.offer_b, publisher=world.pub_2, at=AT),
    )
    convert(click=clicks[0], goal=world.goal_a, at=AT, sale_amount="40.00")
    CreativeHour.objects.all().delete()
    CreativeDay.objects.all().delete()

    backfill.backfill(connection)

    for creative, pair in ((CreativeHour, PairHour), (CreativeDay, PairDay)):
        copied = list(creative.objects.values_list("creative_id", "landing_variant_id"))
        assert copied == [(0, 0)] * pair.objects.count()
        assert sorted(creative.objects.values_list("clicks", "cv_sale_micros")) == sorted(
            pair.objects.values_list("clicks", "cv_sale_micros")
        )
    # A conversion counted before the upgrade (its stored dims without creative) that changes
    # later leaves the copied row at zero, not below it.
    counted = ConversionCounted.objects.get()
    for name in ("creative_id", "landing_variant_id"):
        counted.dims.pop(name)
    counted.save()
    conversion_change(Conversion.objects.get(pk=counted.conversion_id), status="reversed")
    assert CreativeHour.objects.filter(cv_sale_micros__lt=0).count() == 0
    assert sum(CreativeHour.objects.values_list("cv_reversed", flat=True)) == 1
