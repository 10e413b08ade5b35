"""Reports read daily tables plus a few hours added or subtracted (reports/plan.py): every such
answer must equal summing the hours themselves."""

import dataclasses
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.http import QueryDict

from reports.metrics import NEEDS, metrics_compute
from reports.page import report_order
from reports.plan import report_plan, report_sql
from reports.query import report_query_parse
from reports.selectors import _page_in_python, _page_in_sql, report_scope
from tests import factories
from tests.conftest import client_for
from tests.reports.conftest import clicks_ingest, conversion_change, convert, report, world_build

# Ten days around the start of summer time in Europe (2026-03-29) and in no other zone here.
START = datetime(2026, 3, 23, 0, 0, tzinfo=UTC)
WINDOW = {"date_from": "2026-03-24", "date_to": "2026-03-31"}
COUNTS = ("clicks", "unique_clicks", "bot_clicks", "approved", "pending", "rejected", "reversed")
MONEY = ("revenue", "payout")
METRICS = ",".join(COUNTS + MONEY)
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati")


@pytest.fixture(scope="module")
def traffic_of_the_module(django_db_setup, django_db_blocker):
    """The traffic below, built once for the module (it takes seconds) inside a transaction rolled
    back at the module's end. Each test reads it inside a savepoint of its own (`db`, rolled back
    after it), so what one test adds never reaches the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield traffic_build(world_build())
        transaction.set_rollback(True)


@pytest.fixture
def traffic(traffic_of_the_module, db):
    return traffic_of_the_module


def traffic_build(world):
    rng = random.Random(11)
    specs = [
        dict(
            offer=rng.choice([world.offer_a, world.offer_b]),
            publisher=rng.choice([world.pub_1, world.pub_2]),
            at=START + timedelta(minutes=rng.randrange(10 * 24 * 60)),
            country=rng.choice(["DE", "FR", "US"]),
            device=rng.choice(["mobile", "desktop"]),
            sub1=rng.choice(["s1", "s2", "s3", ""]),
            is_unique=rng.random() < 0.8,
            is_bot=rng.random() < 0.1,
        )
        for _ in range(240)
    ]
    clicks = clicks_ingest(*specs)
    goals = {world.offer_a.id: world.goal_a, world.offer_b.id: world.goal_b}
    conversions = [
        convert(
            click=click,
            goal=goals[click.offer_id],
            at=click.created_at + timedelta(hours=rng.randrange(30)),
            status=rng.choice(["approved", "approved", "pending", "rejected"]),
            payout=f"{rng.randrange(1, 9)}.{rng.randrange(100):02d}",
        )
        for click in rng.sample(clicks, 40)
    ]
    for conversion in [c for c in conversions if c.status == "approved"][:4]:
        conversion_change(conversion, status="reversed")
    return world


def _folded_hours(client, *, dims: list[str], by_day: bool, **params) -> dict:
    """The report grouped by hour as well, summed in Python over the hours of each group."""
    body = report(client, group_by=",".join(["hour", *dims]), limit="10000", **params)
    assert body["total_rows"] == len(body["rows"])
    out: dict = defaultdict(lambda: dict.fromkeys(COUNTS + MONEY, 0))
    for row in body["rows"]:
        key = (row["hour"][:10],) if by_day else ()
        key += (*(row[d] for d in dims), row["currency"])
        for name in COUNTS:
            out[key][name] += row[name]
        for name in MONEY:
            out[key][name] += Decimal(row[name])
    return {key: sums for key, sums in out.items() if any(sums.values())}


def _grouped(client, *, dims: list[str], by_day: bool, **params) -> dict:
    group_by = ["day", *dims] if by_day else dims
    body = report(client, group_by=",".join(group_by), limit="10000", **params)
    return {
        (*(row[d] for d in group_by), row["currency"]): {
            **{name: row[name] for name in COUNTS},
            **{name: Decimal(row[name]) for name in MONEY},
        }
        for row in body["rows"]
    }


def _tables(user, **params) -> tuple[str, ...]:
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query[name] = value
    parsed = report_query_parse(params=query, role=user.role)
    scope = report_scope(user=user)
    plan = report_plan(query=parsed, scope=scope, vendor=connection.vendor)
    return tuple(dict.fromkeys(part.rollup.table for part in plan.parts))


@pytest.mark.sqlite
@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("dims", [[], ["country"], ["publisher"], ["offer", "sub1"]])
def test_a_report_by_day_in_any_zone_equals_summing_its_hours(traffic, tz, dims):
    client = client_for(factories.ManagerFactory())
    params = {**WINDOW, "metrics": METRICS, "tz": tz}

    expected = _folded_hours(client, dims=dims, by_day=True, **params)

    assert expected  # the window holds traffic on every side of the edges
    assert _grouped(client, dims=dims, by_day=True, **params) == expected
    assert _grouped(client, dims=dims, by_day=True, basis="click", **params) == _folded_hours(
        client, dims=dims, by_day=True, basis="click", **params
    )


@pytest.mark.sqlite
@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize(
    "dims", [["offer"], ["publisher"], ["country", "device"], ["publisher", "sub1"]]
)
def test_a_report_over_several_days_in_any_zone_equals_summing_its_hours(traffic, tz, dims):
    client = client_for(factories.ManagerFactory())
    params = {**WINDOW, "metrics": METRICS, "tz": tz}

    assert _grouped(client, dims=dims, by_day=False, **params) == _folded_hours(
        client, dims=dims, by_day=False, **params
    )


@pytest.mark.sqlite
def test_a_publishers_sub1_report_over_a_week_reads_geo_day_and_equals_its_hours(traffic):
    user = factories.PublisherUserFactory(publisher=traffic.pub_1)
    client = client_for(user)
    params = {**WINDOW, "metrics": "clicks,approved,reversed,payout"}
    metrics = {"clicks", "approved", "reversed", "payout"}

    body = report(client, group_by="offer,sub1", limit="10000", **params)
    hours = report(client, group_by="hour,offer,sub1", limit="10000", **params)
    expected: dict = defaultdict(lambda: dict.fromkeys(metrics, 0))
    for row in hours["rows"]:
        sums = expected[(row["offer"], row["sub1"], row["currency"])]
        for name in metrics:
            sums[name] += Decimal(row[name]) if name == "payout" else row[name]

    assert "reports_geoday" in _tables(user, group_by="offer,sub1", **params)
    assert {
        (r["offer"], r["sub1"], r["currency"]): {
            n: Decimal(r[n]) if n == "payout" else r[n] for n in metrics
        }
        for r in body["rows"]
    } == {key: sums for key, sums in expected.items() if any(sums.values())}
    assert {r["offer"] for r in body["rows"]} <= {traffic.offer_a.id, traffic.offer_b.id}


@pytest.mark.sqlite
def test_publisher_rankings_read_publisher_day_but_an_advertisers_read_pair_day(traffic):
    manager = factories.ManagerFactory()
    advertiser = factories.AdvertiserUserFactory(advertiser=traffic.advertiser_a)
    params = {**WINDOW, "group_by": "publisher", "metrics": "clicks,approved,revenue"}

    assert _tables(manager, **params) == ("reports_publisherday",)
    assert _tables(advertiser, **params) == ("reports_pairday",)
    mine = report(client_for(advertiser), **params)["rows"]
    everyone = report(client_for(manager), **params, offer=str(traffic.offer_a.id))["rows"]
    assert mine == everyone
    assert {r["publisher"] for r in mine} == {traffic.pub_1.id, traffic.pub_2.id}


@pytest.mark.django_db
def test_a_berlin_day_is_the_utc_day_minus_its_last_hour_plus_the_one_before(world):
    def at(day, hour, minute=0):
        return dict(
            offer=world.offer_a, publisher=world.pub_1, at=datetime(2026, 1, day, hour, minute)
        )

    clicks_ingest(
        *(
            {**spec, "at": spec["at"].replace(tzinfo=UTC)}
            for spec in (
                at(9, 22, 59),  # Jan 9, 23:59 in Berlin: before the range
                at(9, 23, 0),  # Jan 10, 00:00 in Berlin
                at(10, 12),
                at(10, 23, 30),  # Jan 11, 00:30 in Berlin
                at(11, 22, 59),  # Jan 11, 23:59 in Berlin
                at(11, 23, 0),  # Jan 12 in Berlin: after the range
            )
        )
    )
    manager = factories.ManagerFactory()
    params = {"date_from": "2026-01-10", "date_to": "2026-01-11", "tz": "Europe/Berlin"}

    rows = report(client_for(manager), group_by="day", metrics="clicks", **params)["rows"]

    assert [(r["day"], r["clicks"]) for r in rows] == [("2026-01-10", 2), ("2026-01-11", 2)]
    if connection.vendor == "postgresql":
        assert _tables(manager, group_by="day", **params) == (
            "reports_offerday",
            "reports_offerhour",
        )


@pytest.mark.sqlite
def test_a_limited_report_sorted_by_a_metric_is_the_head_of_the_whole_one(traffic):
    client = client_for(factories.ManagerFactory())
    params = {**WINDOW, "group_by": "offer,country,sub1", "metrics": "clicks,payout,cr"}

    whole = report(client, sort="-payout,-cr", limit="10000", **params)
    head = report(client, sort="-payout,-cr", limit="5", **params)

    assert head["rows"] == whole["rows"][:5]
    assert head["totals"] == whole["totals"]
    assert head["total_rows"] == whole["total_rows"] > 5
    payouts = [Decimal(r["payout"]) for r in whole["rows"]]
    assert payouts == sorted(payouts, reverse=True)


@pytest.mark.parametrize(
    "sort",
    [
        "",
        "-payout",
        "-epc,country",
        "cr,-clicks",
        "-margin",
        "avg_sale",
        "goal,-approved",
        "-sub1,offer",
        "-profit,sub1",
    ],
)
def test_postgresql_sorts_and_pages_in_sql_exactly_as_python_would(traffic, sort):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite always sorts in Python")
    jpy = factories.GoalFactory(offer__currency="JPY")
    clicks = clicks_ingest(
        *(dict(offer=jpy.offer, publisher=traffic.pub_1, at=START + timedelta(days=2)),) * 3
    )
    convert(click=clicks[0], goal=jpy, at=START + timedelta(days=2), revenue="900", payout="7")
    user = factories.ManagerFactory()
    params = {**WINDOW, "group_by": "offer,goal,country,sub1", "sort": sort}
    query = report_query_parse(params=params, role=user.role)
    plan = report_plan(query=query, scope={}, vendor="postgresql")
    sums = tuple(dict.fromkeys(base for name in query.metrics for base in NEEDS[name]))
    sql, sql_params = report_sql(plan=plan, query=query, scope={}, sums=sums, ops=connection.ops)

    in_sql = _page_in_sql(sql=sql, params=sql_params, query=query, sums=sums)
    in_python = _page_in_python(sql=sql, params=sql_params, query=query, sums=sums, fold_days=False)
    short = dataclasses.replace(query, limit=7)
    page_in_sql = _page_in_sql(sql=sql, params=sql_params, query=short, sums=sums)

    def shown(entries):
        """Each row's sort values as it shows them, in order."""
        positions = {name: i for i, name in enumerate((*query.group_by, "currency"))}
        out = []
        for key, values in entries:
            metrics = metrics_compute(sums=values, currency=key[-1], metrics=query.metrics)
            out.append([key[positions[n]] if n in positions else metrics[n] for n, _ in order])
        return out

    order = report_order(query=query)
    assert in_sql[1:] == in_python[1:]  # totals, total rows
    assert in_sql[2] > 7
    # Where Python's stable sort leaves ties in fetch order, SQL breaks them by the group values:
    # compare the sort values row by row, and the rows as sets.
    assert shown(in_sql[0]) == shown(in_python[0])
    assert sorted(map(repr, in_sql[0])) == sorted(map(repr, in_python[0]))
    assert page_in_sql[0] == in_sql[0][:7]
    assert page_in_sql[1:] == in_sql[1:]
