from datetime import UTC, datetime

from django.db.models import Sum

from reports.rollups import ALL
from tests import factories
from tests.conftest import client_for
from tests.reports.conftest import clicks_ingest, convert, report

AT = datetime(2026, 1, 10, 10, 15, tzinfo=UTC)
DAY = {"date_from": "2026-01-10", "date_to": "2026-01-10"}


def _traffic(world):
    a1 = dict(offer=world.offer_a, publisher=world.pub_1, at=AT, country="DE", device="mobile")
    clicks = clicks_ingest(
        {**a1, "sub1": "x", "source": "fb"},
        {**a1, "sub1": "x", "is_unique": False},
        {**a1, "country": "FR", "is_bot": True},
        dict(offer=world.offer_a, publisher=world.pub_2, at=AT, country="DE"),
        dict(offer=world.offer_b, publisher=world.pub_1, at=AT, country="FR"),
        dict(offer=world.offer_b, publisher=world.pub_1, at=AT, country="FR"),
    )
    convert(click=clicks[0], goal=world.goal_a, at=AT, sale_amount="100.00")
    convert(click=clicks[3], goal=world.goal_a, at=AT, status="pending")
    convert(click=clicks[4], goal=world.goal_b, at=AT, revenue="5.00", payout="4.00")
    return clicks


def test_a_day_report_adds_up_clicks_conversions_and_money_per_currency(world):
    _traffic(world)
    body = report(client_for(factories.ManagerFactory()), group_by="day", **DAY)

    eur, usd = body["rows"]  # sorted by day, then currency
    assert usd == {
        "day": "2026-01-10",
        "currency": "USD",
        "impressions": 0,
        "clicks": 4,
        "unique_clicks": 3,
        "bot_clicks": 1,
        "conversions": 2,
        "approved": 1,
        "pending": 1,
        "rejected": 0,
        "reversed": 0,
        "cr": "50.00",
        "epc": "1.75",
        "revenue": "10.00",
        "payout": "7.00",
        "profit": "3.00",
        "margin": "30.00",
        "avg_sale": "100.00",
        "sale_amount": "100.00",
        "roas": "10.00",  # sales / revenue
    }
    assert (eur["clicks"], eur["conversions"], eur["revenue"], eur["payout"]) == (
        2,
        1,
        "5.00",
        "4.00",
    )
    assert (eur["epc"], eur["margin"], eur["avg_sale"]) == ("2.00", "20.00", None)
    assert [(t["currency"], t["clicks"], t["profit"]) for t in body["totals"]] == [
        ("EUR", 2, "1.00"),
        ("USD", 4, "3.00"),
    ]


def test_every_rollup_table_holds_the_same_totals(world):
    _traffic(world)
    for rollup in ALL:
        sums = rollup.model.objects.aggregate(
            clicks=Sum("clicks"), approved=Sum("cv_approved"), payout=Sum("ct_payout_micros")
        )
        assert sums == {"clicks": 6, "approved": 2, "payout": 11_000_000}, rollup.table


def test_reports_break_down_by_country_sub_id_and_source(world):
    _traffic(world)
    client = client_for(factories.ManagerFactory())
    metrics = {"metrics": "clicks,conversions", **DAY}

    by_country = report(client, group_by="country", **metrics)["rows"]
    assert [(r["country"], r["currency"], r["clicks"]) for r in by_country] == [
        ("DE", "USD", 3),
        ("FR", "EUR", 2),
        ("FR", "USD", 1),
    ]
    by_sub1 = report(client, group_by="publisher,sub1", offer=world.offer_a.id, **metrics)
    assert [
        (r["publisher"], r["sub1"], r["clicks"], r["conversions"]) for r in by_sub1["rows"]
    ] == [
        (world.pub_1.id, "x", 2, 1),
        (world.pub_1.id, "", 1, 0),
        (world.pub_2.id, "", 1, 1),
    ]
    assert by_sub1["rows"][0]["publisher_name"] == world.pub_1.name
    by_source = report(client, group_by="source", source="fb", **metrics)["rows"]
    assert [(r["source"], r["clicks"], r["conversions"]) for r in by_source] == [("fb", 1, 0)]


def test_sub_ids_with_quotes_commas_and_braces_come_back_exactly(world):
    odd = 'a"b\\c,{d} é NULL'
    clicks_ingest(dict(offer=world.offer_a, publisher=world.pub_1, at=AT, sub1=odd, sub2=odd))
    client = client_for(factories.ManagerFactory())
    rows = report(client, group_by="sub1,sub2", metrics="clicks", **DAY)["rows"]
    assert [(r["sub1"], r["sub2"], r["clicks"]) for r in rows] == [(odd, odd, 1)]
