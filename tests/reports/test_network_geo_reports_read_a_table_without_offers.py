"""MarketDay (day x country x device x currency, reports/rollups.py) answers the network's
country and device reports over whole days: it must count exactly the clicks and conversions
of its day, and a report read from it must equal summing the hours."""

import importlib
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.http import QueryDict

from reports.models import COUNTERS, MarketDay
from reports.plan import report_plan
from reports.query import report_query_parse
from reports.selectors import report_scope
from tests import factories
from tests.conftest import client_for
from tests.reports.conftest import (
    clicks_ingest,
    conversion_change,
    convert,
    report,
    world_build,
)
from tracking.models import Click, Conversion

backfill = importlib.import_module("reports.migrations.0008_backfill_market_day")

START = datetime(2026, 3, 23, 0, 0, tzinfo=UTC)  # Europe's summer time starts on 2026-03-29
WINDOW = {"date_from": "2026-03-24", "date_to": "2026-03-31"}
COUNTS = ("clicks", "unique_clicks", "bot_clicks", "approved", "pending", "rejected", "reversed")
MONEY = ("revenue", "payout")
METRICS = ",".join(COUNTS + MONEY)


@pytest.fixture(scope="module")
def traffic_of_the_module(django_db_setup, django_db_blocker):
    """The traffic below, built once for the module (it takes seconds) inside a transaction rolled
    back at the module's end. Each test reads it inside a savepoint of its own (`db`, rolled back
    after it), so what one test changes (the upgrade's test empties MarketDay) never reaches the
    next."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield traffic_build(world_build())
        transaction.set_rollback(True)


@pytest.fixture
def traffic(traffic_of_the_module, db):
    return traffic_of_the_module


def traffic_build(world):
    rng = random.Random(5)
    clicks = clicks_ingest(
        *(
            dict(
                offer=rng.choice([world.offer_a, world.offer_b]),
                publisher=rng.choice([world.pub_1, world.pub_2]),
                at=START + timedelta(minutes=rng.randrange(10 * 24 * 60)),
                country=rng.choice(["DE", "FR", "US", ""]),
                device=rng.choice(["mobile", "desktop"]),
                sub1=rng.choice(["s1", "s2", ""]),
                is_unique=rng.random() < 0.8,
                is_bot=rng.random() < 0.1,
            )
            for _ in range(200)
        )
    )
    goals = {world.offer_a.id: world.goal_a, world.offer_b.id: world.goal_b}
    conversions = [
        convert(
            click=click,
            goal=goals[click.offer_id],
            at=click.created_at + timedelta(hours=rng.randrange(30)),
            status=rng.choice(["approved", "approved", "pending", "rejected"]),
            payout=f"{rng.randrange(1, 9)}.{rng.randrange(100):02d}",
            sale_amount=rng.choice([None, "40.00"]),
        )
        for click in rng.sample(clicks, 36)
    ]
    for conversion in [c for c in conversions if c.status == "approved"][:3]:
        conversion_change(conversion, status="reversed")
    return world


def _tables(user, **params) -> tuple[str, ...]:
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query[name] = value
    parsed = report_query_parse(params=query, role=user.role)
    plan = report_plan(query=parsed, scope=report_scope(user=user), vendor=connection.vendor)
    return tuple(dict.fromkeys(part.rollup.table for part in plan.parts))


def _sums(rows, dims: list[str]) -> dict:
    out: dict = defaultdict(lambda: dict.fromkeys(COUNTS + MONEY, 0))
    for row in rows:
        sums = out[(*(row[d] for d in dims), row["currency"])]
        for name in COUNTS:
            sums[name] += row[name]
        for name in MONEY:
            sums[name] += Decimal(row[name])
    return {key: sums for key, sums in out.items() if any(sums.values())}


@pytest.mark.sqlite
@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin", "Asia/Kolkata"])
@pytest.mark.parametrize("dims", [["country"], ["device"], ["country", "device"]])
def test_a_network_report_by_country_over_a_week_reads_market_day_and_equals_its_hours(
    traffic, tz, dims
):
    manager = factories.ManagerFactory()
    client = client_for(manager)
    params = {**WINDOW, "metrics": METRICS, "tz": tz}

    hours = report(client, group_by=",".join(["hour", *dims]), limit="10000", **params)
    grouped = report(client, group_by=",".join(dims), limit="10000", **params)

    assert _tables(manager, group_by=",".join(dims), **params)[0] == "reports_marketday"
    assert _sums(grouped["rows"], dims) == _sums(hours["rows"], dims)
    assert len(grouped["rows"]) == len(_sums(hours["rows"], dims))
    clicked = report(client, group_by=",".join(dims), basis="click", limit="10000", **params)
    by_click_hour = report(
        client, group_by=",".join(["hour", *dims]), basis="click", limit="10000", **params
    )
    assert _sums(clicked["rows"], dims) == _sums(by_click_hour["rows"], dims)


@pytest.mark.sqlite
def test_a_network_report_by_country_and_day_in_berlin_equals_its_hours(traffic):
    manager = factories.ManagerFactory()
    client = client_for(manager)
    params = {**WINDOW, "metrics": METRICS, "tz": "Europe/Berlin"}

    by_day = report(client, group_by="day,country", limit="10000", **params)
    hours = report(client, group_by="hour,country", limit="10000", **params)
    for row in hours["rows"]:
        row["day"] = row["hour"][:10]

    assert _sums(by_day["rows"], ["day", "country"]) == _sums(hours["rows"], ["day", "country"])
    if connection.vendor == "postgresql":  # SQLite folds hours into days in Python
        assert "reports_marketday" in _tables(manager, group_by="day,country", **params)


@pytest.mark.sqlite
def test_an_advertisers_country_report_and_one_filtered_by_offer_read_country_day(traffic):
    manager = factories.ManagerFactory()
    advertiser = factories.AdvertiserUserFactory(advertiser=traffic.advertiser_a)
    params = {**WINDOW, "group_by": "country", "metrics": "clicks,approved,revenue"}
    offer = str(traffic.offer_a.id)

    assert _tables(advertiser, **params)[0] == "reports_countryday"
    assert _tables(manager, **params, offer=offer)[0] == "reports_countryday"
    assert _tables(manager, **params)[0] == "reports_marketday"
    mine = report(client_for(advertiser), **params)["rows"]
    assert mine == report(client_for(manager), **params, offer=offer)["rows"]
    assert {r["currency"] for r in mine} == {"USD"}


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


@pytest.mark.sqlite
def test_market_day_counts_exactly_the_clicks_and_conversions_of_each_day_country_and_device(
    traffic,
):
    currency = {traffic.offer_a.id: "USD", traffic.offer_b.id: "EUR"}
    expected: dict = defaultdict(Counter)
    clicks = {c.click_id: c for c in Click.objects.all()}
    for click in clicks.values():
        sums = expected[
            (_day(click.created_at), click.country, click.device, currency[click.offer_id])
        ]
        sums["clicks"] += 1
        sums["unique_clicks"] += click.is_unique
        sums["bot_clicks"] += click.is_bot
    for conversion in Conversion.objects.all():
        click = clicks[conversion.click_id]
        place = (click.country, click.device, conversion.currency)
        approved = conversion.status == "approved"
        for basis, at in (("cv", conversion.created_at), ("ct", conversion.click_created_at)):
            sums = expected[(_day(at), *place)]
            sums[f"{basis}_{conversion.status}"] += 1
            if approved:
                sums[f"{basis}_payout_micros"] += int(conversion.payout * 1_000_000)
                sums[f"{basis}_revenue_micros"] += int(conversion.revenue * 1_000_000)
                if conversion.sale_amount is not None:
                    sums[f"{basis}_sales"] += 1
                    sums[f"{basis}_sale_micros"] += int(conversion.sale_amount * 1_000_000)

    stored = {
        (str(row["day"]), row["country"], row["device"], row["currency"]): Counter(
            {name: row[name] for name in COUNTERS if row[name]}
        )
        for row in MarketDay.objects.values()
    }

    assert stored == {key: sums for key, sums in expected.items() if +sums}
    assert sum(s["clicks"] for s in stored.values()) == 200


def _rows(model) -> list[tuple]:
    fields = [f.name for f in model._meta.fields if f.name != "id"]
    return sorted(model.objects.values_list(*fields))


@pytest.mark.sqlite
def test_the_upgrade_fills_market_day_from_country_day_as_the_hooks_would(traffic):
    written = _rows(MarketDay)
    assert written
    MarketDay.objects.all().delete()

    backfill.backfill(connection)

    assert _rows(MarketDay) == written
    assert set(backfill.COUNTERS) == set(COUNTERS)


@pytest.mark.sqlite
def test_the_upgrade_leaves_market_day_alone_once_it_holds_rows(world):
    clicks_ingest(
        dict(offer=world.offer_a, publisher=world.pub_1, at=datetime(2026, 1, 10, tzinfo=UTC))
    )
    before = _rows(MarketDay)

    backfill.backfill(connection)

    assert _rows(MarketDay) == before
