#!/usr/bin/env python3
"""Reports benchmark: the ten most common reports through the API over a month of traffic.

    .venv/bin/python bench/reports.py [--runs 40] [--data DIR] [--pg-defaults] [--only TEXT]

Starts a throwaway PostgreSQL (scripts/with_services.py), migrates, and creates 20 advertisers,
100 offers (10 in EUR) with 133 goals, and 1,000 publishers running 2 to 8 offers each, traffic
skewed towards the first publishers (weight 1/rank^0.9).

The rollups of 10,000,000 clicks and 200,000 conversions over 30 days (January 2026) are made
in SQL, not through the hooks (that would take hours): every click and every conversion is drawn
one by one with generate_series (hour, country, device, sub1, unique, bot flags; conversion
delay, goal, status and amounts) and the draws are aggregated with the same keys and columns as
reports/services.py writes, into the hour x offer x publisher x goal x country x device x sub1
table; the narrower tables (pair, offer, country, sub ids, publisher; hourly and daily) are then
derived from it by GROUP BY, as the hooks would fill them.

To show that the real hooks produce the same shape, 20,000 real clicks and 400 conversions (40
of them then reversed) of two extra offers go through tracking.hooks in batches of 1,000, and
their report is checked against counts taken from the click and conversion tables.

Then each report is requested --runs times through Django's test client (the whole DRF stack,
bearer-key authentication included; no network) after 3 warm-up requests; p50 and p95 printed.

PostgreSQL runs with the settings reports/README.md recommends for a reporting database
(REPORTING_SETTINGS: jit off above all), or at its defaults with --pg-defaults.

Generating the data takes a while. --data DIR keeps the database in DIR; a later run with the
same DIR reuses it: it migrates, fills any rollup table that is still empty (one added since)
from the hour x ... x sub1 table as above, and runs the sample through the hooks in a
transaction it rolls back.
"""

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from with_services import (  # noqa: E402
    as_user_prefix,
    free_port,
    pg_bindir,
    throwaway_postgres,
)

CLICKS = 10_000_000
CONVERSIONS = 200_000
HOURS = 30 * 24
START = "2026-01-01"

# What reports/README.md recommends for the reporting database (2 cores, 23 GB here): the
# reports are many short aggregates, for which JIT compilation costs more than it saves.
REPORTING_SETTINGS = {
    "jit": "off",
    "shared_buffers": "4GB",
    "effective_cache_size": "12GB",
    "work_mem": "64MB",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
    # Two cores and many small concurrent reports: starting workers costs more than it saves.
    "max_parallel_workers_per_gather": "0",
}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return f"{os.cpu_count()} cores ({model}), load before run {load[0]:.2f}"


def seed() -> dict:
    """Advertisers, offers, goals, publishers, and one user per role for the reports."""
    from accounts.models import Role, User
    from affiliates.models import Publisher
    from offers.models import Advertiser, Goal, Offer

    advertisers = Advertiser.objects.bulk_create(
        [Advertiser(name=f"Advertiser {i}") for i in range(20)]
    )
    offers = Offer.objects.bulk_create(
        [
            Offer(
                advertiser=advertisers[i % 20],
                name=f"Offer {i}",
                landing_url="https://shop.example/?c={click_id}",
                currency="EUR" if i % 10 == 0 else "USD",
            )
            for i in range(100)
        ]
    )
    goals = [Goal(offer=o, name="Sale", ref="sale", is_default=True) for o in offers]
    goals += [Goal(offer=o, name="Deposit", ref="deposit") for o in offers[::3]]
    Goal.objects.bulk_create(goals)
    publishers = Publisher.objects.bulk_create(
        [Publisher(name=f"Publisher {i}", status="active") for i in range(1000)]
    )
    users = {
        "manager": User.objects.create(username="manager", role=Role.MANAGER),
        "publisher": User.objects.create(
            username="pub", role=Role.PUBLISHER, publisher=publishers[0]
        ),
        "advertiser": User.objects.create(
            username="adv", role=Role.ADVERTISER, advertiser=advertisers[1]
        ),
    }
    return {"offers": offers, "publishers": publishers, "users": users, "advertisers": advertisers}


def counters_sql(assigned: dict[str, str]) -> tuple[str, str]:
    """Column list and select list over every counter: the given expressions, zero elsewhere."""
    from reports.models import COUNTERS

    return ", ".join(COUNTERS), ", ".join(assigned.get(c, "0") for c in COUNTERS)


def generate(cursor) -> None:
    from reports import rollups

    cursor.execute("SET work_mem = '512MB'")
    cursor.execute("SELECT setseed(0.42)")
    # Pairs: publisher rank r runs 2..8 offers; its share of traffic is 1/r^0.9.
    cursor.execute(
        """
        CREATE TEMP TABLE bench_pairs AS
        WITH pubs AS (
            SELECT id, row_number() OVER (ORDER BY id) AS r FROM affiliates_publisher
        ), picks AS (
            SELECT p.id AS publisher_id, p.r, k,
                   (SELECT array_agg(id ORDER BY id) FROM offers_offer)
                       [1 + ((p.r * 37 + k * 11) % 100)] AS offer_id
            FROM pubs p, generate_series(1, 2 + (p.r % 7)) k
        ), weighted AS (
            SELECT DISTINCT ON (publisher_id, offer_id) publisher_id, offer_id,
                   power(r, -0.9) / k AS w
            FROM picks
        )
        SELECT w.publisher_id, w.offer_id, o.advertiser_id, o.currency,
               w.w / sum(w.w) OVER () AS share
        FROM weighted w JOIN offers_offer o ON o.id = w.offer_id
        """
    )
    cursor.execute(
        """
        CREATE TEMP TABLE bench_goals AS
        SELECT offer_id, array_agg(id ORDER BY is_default DESC, id) AS ids
        FROM offers_goal GROUP BY offer_id
        """
    )
    geo = rollups.GEO_HOUR.table
    dims = "offer_id, advertiser_id, currency, publisher_id, goal_id, country, device, sub1"
    # Skewed draws: a few countries, devices and sub ids carry most of the traffic.
    draw = f"""
        timestamptz '{START} 00:00+00' + floor(random() * {HOURS}) * interval '1 hour' AS hour,
        (ARRAY['US','GB','DE','FR','CA','AU','IN','BR','ES','IT','NL','PL'])
            [least(12, 1 + floor(-ln(1 - random()) * 2.2)::int)] AS country,
        CASE WHEN random() < 0.62 THEN 'mobile' WHEN random() < 0.9 THEN 'desktop'
             ELSE 'tablet' END AS device,
        's' || least(30, floor(-ln(1 - random()) * 2.5)::int) AS sub1
    """
    started = time.monotonic()
    columns, values = counters_sql(
        {
            "clicks": "count(*)",
            "unique_clicks": "count(*) FILTER (WHERE uniq)",
            "bot_clicks": "count(*) FILTER (WHERE bot)",
        }
    )
    # Exactly CLICKS clicks: each pair's share rounded down, the remainder to the largest pair.
    cursor.execute(
        f"""
        WITH counts AS (
            SELECT *, floor(share * {CLICKS})::int AS n FROM bench_pairs
        ), fixed AS (
            SELECT offer_id, advertiser_id, currency, publisher_id,
                   n + CASE WHEN row_number() OVER (ORDER BY share DESC) = 1
                            THEN {CLICKS} - sum(n) OVER () ELSE 0 END AS n
            FROM counts
        ), clicks AS (
            SELECT f.offer_id, f.advertiser_id, f.currency, f.publisher_id, 0 AS goal_id,
                   random() < 0.85 AS uniq, random() < 0.03 AS bot, {draw}
            FROM fixed f, generate_series(1, f.n)
        )
        INSERT INTO {geo} (hour, {dims}, {columns})
        SELECT hour, {dims}, {values} FROM clicks GROUP BY hour, {dims}
        """
    )
    log(f"clicks drawn and rolled up in {time.monotonic() - started:.0f}s")

    started = time.monotonic()
    cursor.execute(
        f"""
        CREATE TEMP TABLE bench_conversions AS
        WITH counts AS (
            SELECT *, round(share * {CONVERSIONS})::int AS n FROM bench_pairs
        ), drawn AS (
            SELECT c.offer_id, c.advertiser_id, c.currency, c.publisher_id, {draw},
                   random() AS g, random() AS s, random() AS sale,
                   floor(-ln(1 - random()) * 5) * interval '1 hour' AS delay
            FROM counts c, generate_series(1, c.n)
        )
        SELECT d.offer_id, d.advertiser_id, d.currency, d.publisher_id,
               CASE WHEN d.g < 0.8 OR cardinality(bg.ids) = 1 THEN bg.ids[1]
                    ELSE bg.ids[2] END AS goal_id,
               d.country, d.device, d.sub1, d.hour AS click_hour,
               least(d.hour + d.delay, timestamptz '{START} 00:00+00'
                     + ({HOURS} - 1) * interval '1 hour') AS conversion_hour,
               CASE WHEN d.s < 0.75 THEN 'approved' WHEN d.s < 0.90 THEN 'pending'
                    WHEN d.s < 0.97 THEN 'rejected' ELSE 'reversed' END AS status,
               (2 + d.offer_id % 40) * 1000000::bigint AS revenue,
               (2 + d.offer_id % 40) * 700000::bigint AS payout,
               CASE WHEN d.sale < 0.3 THEN (10 + floor(d.sale * 600)) * 1000000::bigint
               END AS sale_amount
        FROM drawn d JOIN bench_goals bg ON bg.offer_id = d.offer_id
        """
    )
    for prefix, hour in (("ct", "click_hour"), ("cv", "conversion_hour")):
        approved = "status = 'approved'"
        columns, values = counters_sql(
            {
                f"{prefix}_{status}": f"count(*) FILTER (WHERE status = '{status}')"
                for status in ("pending", "approved", "rejected", "reversed")
            }
            | {
                f"{prefix}_sales": f"count(*) FILTER (WHERE {approved} AND sale_amount > 0)",
                f"{prefix}_revenue_micros": f"coalesce(sum(revenue) FILTER (WHERE {approved}), 0)",
                f"{prefix}_payout_micros": f"coalesce(sum(payout) FILTER (WHERE {approved}), 0)",
                f"{prefix}_sale_micros": (
                    f"coalesce(sum(sale_amount) FILTER (WHERE {approved}), 0)"
                ),
            }
        )
        updates = ", ".join(
            f"{c} = {geo}.{c} + EXCLUDED.{c}" for c in columns.split(", ") if c.startswith(prefix)
        )
        cursor.execute(
            f"""
            INSERT INTO {geo} (hour, {dims}, {columns})
            SELECT {hour}, {dims}, {values} FROM bench_conversions GROUP BY {hour}, {dims}
            ON CONFLICT (hour, offer_id, publisher_id, goal_id, country, device, sub1,
                         advertiser_id, currency)
            DO UPDATE SET {updates}
            """
        )
    log(f"conversions drawn and rolled up in {time.monotonic() - started:.0f}s")

    derive(cursor)


def derive(cursor) -> list[str]:
    """Fill every empty rollup table from GeoHour, as the hooks would have; the tables filled."""
    from reports import rollups

    geo = rollups.GEO_HOUR.table
    started = time.monotonic()
    all_columns, _ = counters_sql({})
    sums = ", ".join(f"sum({c})" for c in all_columns.split(", "))
    statements = {}
    for rollup in (rollups.PAIR_HOUR, rollups.OFFER_HOUR, rollups.COUNTRY_HOUR):
        keep = ", ".join(rollup.dims)
        statements[rollup] = (
            f"INSERT INTO {rollup.table} (hour, {keep}, {all_columns}) "
            f"SELECT hour, {keep}, {sums} FROM {geo} GROUP BY hour, {keep}"
        )
    pair = ", ".join(rollups.PAIR_HOUR.dims)
    statements[rollups.SUBS_HOUR] = f"""
        INSERT INTO {rollups.SUBS_HOUR.table}
            (hour, {pair}, subs_key, sub1, sub2, sub3, sub4, sub5, source, {all_columns})
        SELECT hour, {pair}, md5(concat_ws(E'\\x1f', sub1, device, '', '', '', source)),
               sub1, device, '', '', '', source, {sums}
        FROM (SELECT *, 'src' || (publisher_id % 5) AS source FROM {geo}) g
        GROUP BY hour, {pair}, sub1, device, source
        """
    # No creative or landing variant in the generated traffic: PairHour on their "none" row (0),
    # as migration reports/0006 fills them.
    statements[rollups.CREATIVE_HOUR] = (
        f"INSERT INTO {rollups.CREATIVE_HOUR.table} "
        f"(hour, {pair}, creative_id, landing_variant_id, {all_columns}) "
        f"SELECT hour, {pair}, 0, 0, {all_columns} FROM {rollups.PAIR_HOUR.table}"
    )
    # Each daily table from the smallest hourly one holding its dimensions (filled first).
    for daily in rollups.DAILY:
        hourly = next(r for r in rollups.HOURLY if set(daily.dims) <= set(r.dims))
        keep = ", ".join(daily.dims)
        statements[daily] = (
            f"INSERT INTO {daily.table} (day, {keep}, {all_columns}) "
            f"SELECT (hour AT TIME ZONE 'UTC')::date, {keep}, {sums} FROM {hourly.table} "
            f"GROUP BY 1, {keep}"
        )
    missing = set(rollups.ALL) - set(statements) - {rollups.GEO_HOUR}
    assert not missing, f"bench/reports.py does not know how to fill {missing}"
    filled = []
    for rollup, sql in statements.items():
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {rollup.table})")
        if cursor.fetchone()[0]:
            continue
        cursor.execute(sql)
        filled.append(rollup.table)
    log(f"rollups derived in {time.monotonic() - started:.0f}s: {', '.join(filled) or 'none'}")
    return filled


class UpsertClock:
    """A connection.execute_wrapper: time spent in each rollup table's INSERT statements."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            match = re.match(r"\s*INSERT INTO (reports_\w+)", sql)
            if match:
                table = match.group(1)
                self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - started


def sample_through_hooks(world: dict) -> list[str]:
    """Real clicks and conversions through tracking.hooks; the report must match raw counts."""
    import random
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from django.db import connection, transaction
    from rest_framework.test import APIClient
    from ulid import ULID

    from affiliates.keys import api_key_create
    from offers.models import Goal, Offer
    from reports import rollups
    from tracking.hooks import after_clicks_ingested, after_conversion_changed
    from tracking.models import Click, Conversion

    rng = random.Random(7)
    advertiser = world["advertisers"][0]
    offers = [
        Offer.objects.create(
            advertiser=advertiser, name=f"Sample {i}", landing_url="https://s.example/"
        )
        for i in range(2)
    ]
    goals = [Goal.objects.create(offer=o, name="Sale", ref="sale", is_default=True) for o in offers]
    publishers = world["publishers"][:20]
    base = datetime(2026, 1, 15, tzinfo=UTC)
    before = {r.table: r.model.objects.count() for r in rollups.ALL}

    clicks_total = 20_000
    started = time.monotonic()
    hook_seconds = 0.0
    clock = UpsertClock()
    made: list[Click] = []
    for _ in range(0, clicks_total, 1000):
        batch = [
            Click(
                click_id=str(ULID()),
                created_at=base + timedelta(seconds=rng.randrange(3 * 86400)),
                offer_id=rng.choice(offers).id,
                publisher_id=rng.choice(publishers).id,
                country=rng.choice(["US", "US", "US", "GB", "DE", "FR"]),
                device=rng.choice(["mobile", "mobile", "desktop"]),
                sub1=f"s{min(30, int(rng.expovariate(0.4)))}",
                sub2=rng.choice(["", "a", "b"]),
                source=rng.choice(["fb", "google", ""]),
                is_unique=rng.random() < 0.85,
                is_bot=rng.random() < 0.03,
            )
            for _ in range(1000)
        ]
        with transaction.atomic():
            Click.objects.bulk_create(batch)
            hook_started = time.monotonic()
            with connection.execute_wrapper(clock):
                after_clicks_ingested(clicks=batch)
            hook_seconds += time.monotonic() - hook_started
        made += batch
    conversions = []
    for click in rng.sample(made, 400):
        goal = goals[offers.index(next(o for o in offers if o.id == click.offer_id))]
        with transaction.atomic():
            conversion = Conversion.objects.create(
                click_id=click.click_id,
                click_created_at=click.created_at,
                offer_id=click.offer_id,
                goal=goal,
                publisher_id=click.publisher_id,
                advertiser=advertiser,
                status="approved",
                currency="USD",
                revenue=Decimal("12.00"),
                payout=Decimal("8.40"),
                sale_amount=Decimal("55.50") if rng.random() < 0.5 else None,
                sub1=click.sub1,
            )
            after_conversion_changed(conversion=conversion, previous_status=None)
        conversions.append(conversion)
    for conversion in conversions[:40]:
        with transaction.atomic():
            conversion.status = "reversed"
            conversion.save()
            after_conversion_changed(conversion=conversion, previous_status="approved")
    elapsed = time.monotonic() - started

    client = APIClient()
    key = api_key_create(user=world["users"]["manager"], name="sample")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
    body = client.get(
        "/api/v1/reports/",
        {
            "group_by": "offer",
            "offer": ",".join(str(o.id) for o in offers),
            "metrics": "clicks,unique_clicks,approved,reversed,payout",
            "date_from": "2026-01-01",
            "date_to": "2026-01-30",
            "basis": "click",
        },
    ).json()
    offer_ids = [o.id for o in offers]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT offer_id, count(*), count(*) FILTER (WHERE is_unique) FROM tracking_click "
            "WHERE offer_id = ANY(%s) GROUP BY 1",
            [offer_ids],
        )
        raw = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT offer_id, count(*) FILTER (WHERE status = 'approved'), "
            "count(*) FILTER (WHERE status = 'reversed'), "
            "coalesce(sum(payout) FILTER (WHERE status = 'approved'), 0) "
            "FROM tracking_conversion WHERE offer_id = ANY(%s) GROUP BY 1",
            [offer_ids],
        )
        raw_conversions = {row[0]: row[1:] for row in cursor.fetchall()}
    for row in body["rows"]:
        expected = (*raw[row["offer"]], *raw_conversions[row["offer"]][:2])
        got = (row["clicks"], row["unique_clicks"], row["approved"], row["reversed"])
        assert got == expected, (got, expected)
        assert Decimal(row["payout"]) == raw_conversions[row["offer"]][2], row
    added = {r.table: r.model.objects.count() - before[r.table] for r in rollups.ALL}
    lines = [
        f"sample through the hooks: {clicks_total:,} clicks in batches of 1,000, 400 "
        f"conversions, 40 reversed: {elapsed:.1f}s in all; rollup hook time for clicks "
        f"{hook_seconds:.1f}s ({clicks_total / hook_seconds:,.0f} clicks/s)",
        "sample report == counts from tracking_click/tracking_conversion: OK",
        "rows the sample added per table: "
        + ", ".join(f"{t.removeprefix('reports_')} {n:,}" for t, n in added.items()),
        "rollup upsert time per batch of 1,000 clicks, by table (ms): "
        + ", ".join(
            f"{t.removeprefix('reports_')} {1000 * sec / (clicks_total / 1000):.1f}"
            for t, sec in clock.seconds.items()
        ),
    ]
    return lines


BERLIN = "Europe/Berlin"
REPORTS = [
    ("manager", "network by day, 30 days, UTC", {"group_by": "day"}),
    ("manager", "network by day, 30 days, Berlin", {"group_by": "day", "tz": "Europe/Berlin"}),
    ("manager", "by offer, 7 days, Berlin", {"group_by": "offer", "tz": "Europe/Berlin", "w": 7}),
    (
        "manager",
        "top 50 publishers by payout, 7 days",
        {"group_by": "publisher", "sort": "-payout", "limit": "50", "w": 7},
    ),
    ("manager", "by advertiser, 30 days", {"group_by": "advertiser"}),
    (
        "manager",
        "by country, 7 days, Berlin",
        {"group_by": "country", "tz": "Europe/Berlin", "w": 7},
    ),
    ("manager", "by hour, one day, Berlin", {"group_by": "hour", "tz": "Europe/Berlin", "w": 1}),
    ("publisher", "publisher: by day, 30 days", {"group_by": "day"}),
    ("publisher", "publisher: by offer and sub1, 7 days", {"group_by": "offer,sub1", "w": 7}),
    ("advertiser", "advertiser: by day and offer, 30 days", {"group_by": "day,offer"}),
]


def measure(world: dict, runs: int, *, only: str | None = None) -> list[str]:
    from rest_framework.test import APIClient

    from affiliates.keys import api_key_create

    clients = {}
    for role, user in world["users"].items():
        clients[role] = APIClient()
        minted = api_key_create(user=user, name="bench")
        clients[role].credentials(HTTP_AUTHORIZATION=f"Bearer {minted.raw_key}")
    lines = [
        "| Report | Rollup tables read | Rows | p50 ms | p95 ms |",
        "|---|---|---:|---:|---:|",
    ]
    for role, title, spec in REPORTS:
        if only and only not in title:
            continue
        params = dict(spec)
        days = params.pop("w", 30)
        params["date_to"] = "2026-01-30"
        params["date_from"] = f"2026-01-{31 - days:02d}"
        times = []
        for i in range(runs + 3):
            started = time.perf_counter()
            response = clients[role].get("/api/v1/reports/", params)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.content[:500]
            if i >= 3:
                times.append(elapsed)
        body = response.json()
        tables = explain_tables(clients[role], params, world["users"][role])
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        lines.append(
            f"| {title} | {tables} | {body['total_rows']} | {statistics.median(times):.1f} "
            f"| {p95:.1f} |"
        )
        log(lines[-1])
    return lines


def explain_tables(client, params: dict, user) -> str:
    from django.http import QueryDict

    from reports.query import report_query_parse
    from reports.selectors import report_run

    query = QueryDict(mutable=True)
    for name, value in params.items():
        query[name] = value
    report = report_run(user=user, query=report_query_parse(params=query, role=user.role))
    return " + ".join(t.removeprefix("reports_") for t in report.tables)


@contextlib.contextmanager
def database(data: Path | None) -> Iterator[tuple[str, bool]]:
    """PostgreSQL for the run: (url, whether it already holds the generated data)."""
    if data is None:
        with (
            tempfile.TemporaryDirectory(prefix="affnet-bench-rep-") as workdir,
            throwaway_postgres(Path(workdir)) as url,
        ):
            yield url, False
        return
    data = data.resolve()
    if not (data / "pg").exists():
        data.mkdir(parents=True, exist_ok=True)
        with throwaway_postgres(data) as url:
            yield url, False
        return
    if not (data / "ready").exists():
        raise SystemExit(f"{data} holds an unfinished database: remove it and run again")
    bindir = pg_bindir()
    datadir = data / "pg"
    port = free_port()
    options = (
        f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    pg_ctl = [*as_user_prefix(), str(bindir / "pg_ctl"), "-D", str(datadir)]
    subprocess.run(
        [*pg_ctl, "-o", options, "-l", str(data / "pg.log"), "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    os.environ["PG_BINDIR"] = str(bindir)
    os.environ["PG_DATADIR"] = str(datadir)
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/affnet", True
    finally:
        subprocess.run(
            [*pg_ctl, "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL, check=False
        )


def pg_configure(*, defaults: bool) -> str:
    """Apply REPORTING_SETTINGS (or the defaults) and restart PostgreSQL; what is in force."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ALTER SYSTEM RESET ALL")
        for name, value in ({} if defaults else REPORTING_SETTINGS).items():
            cursor.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    connection.close()
    datadir = Path(os.environ["PG_DATADIR"])
    subprocess.run(
        [
            *as_user_prefix(),
            str(Path(os.environ["PG_BINDIR"]) / "pg_ctl"),
            "-D",
            str(datadir),
            "-l",
            str(datadir.parent / "pg-restart.log"),
            "-m",
            "fast",
            "-w",
            "restart",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with connection.cursor() as cursor:
        shown = []
        for name in REPORTING_SETTINGS:
            cursor.execute(f"SHOW {name}")
            shown.append(f"{name}={cursor.fetchone()[0]}")
    return ", ".join(shown)


def world_load() -> dict:
    """The users seed() made, from a reused database."""
    from accounts.models import User
    from affiliates.models import Publisher
    from offers.models import Advertiser

    by_name = {u.username: u for u in User.objects.filter(username__in=["manager", "pub", "adv"])}
    return {
        "advertisers": list(
            Advertiser.objects.filter(name__startswith="Advertiser ").order_by("id")
        ),
        "publishers": list(Publisher.objects.filter(name__startswith="Publisher ").order_by("id")),
        "users": {
            "manager": by_name["manager"],
            "publisher": by_name["pub"],
            "advertiser": by_name["adv"],
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument(
        "--data",
        type=Path,
        help="keep the generated database in this folder, or reuse the one it holds",
    )
    parser.add_argument(
        "--pg-defaults",
        action="store_true",
        help="PostgreSQL at its defaults instead of REPORTING_SETTINGS",
    )
    parser.add_argument("--only", help="time only the reports whose title contains this text")
    args = parser.parse_args()
    header = machine()
    with database(args.data) as (url, reused):
        os.environ["DATABASE_URL"] = url
        os.environ.pop("REDIS_URL", None)
        os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
        os.environ.setdefault(
            "CALLBACK_SECRET_KEYS", "YmVuY2gtb25seS1jYWxsYmFjay1rZXkteHh4eHh4eHg="
        )
        os.environ["ALLOWED_HOSTS"] = "testserver"
        os.environ["DEBUG"] = "0"
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, transaction

        call_command("migrate", verbosity=0)
        started = time.monotonic()
        if reused:
            world = world_load()
            with connection.cursor() as cursor:
                cursor.execute("SET work_mem = '512MB'")
                derive(cursor)
            # The sample again, on the full tables, rolled back: the data stays as generated.
            with transaction.atomic():
                sample = sample_through_hooks(world)
                transaction.set_rollback(True)
            sample[0] += " (rolled back)"
        else:
            world = seed()
            with connection.cursor() as cursor:
                generate(cursor)
            sample = sample_through_hooks(world)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute(
                "SELECT relname, n_live_tup FROM pg_stat_user_tables "
                "WHERE relname LIKE 'reports_%%' ORDER BY relname"
            )
            sizes = cursor.fetchall()
            cursor.execute(
                "SELECT pg_size_pretty(sum(pg_total_relation_size(relid))) "
                "FROM pg_stat_user_tables WHERE relname LIKE 'reports_%%'"
            )
            (total_size,) = cursor.fetchone()
            cursor.execute("CHECKPOINT")
        if args.data:
            (args.data.resolve() / "ready").touch()
        log(f"data ready in {time.monotonic() - started:.0f}s")
        settings = pg_configure(defaults=args.pg_defaults)
        log(f"PostgreSQL: {settings}")
        results = measure(world, args.runs, only=args.only)
    print(f"Machine: {header}")
    print(f"PostgreSQL: {settings}")
    print(
        f"Data: {CLICKS:,} clicks, {CONVERSIONS:,} conversions, 30 days, 100 offers, 1,000 "
        f"publishers; rollups {total_size}:"
    )
    print(", ".join(f"{name.removeprefix('reports_')} {rows:,}" for name, rows in sizes))
    for line in sample:
        print(line)
    print(f"Each report: 3 warm-up requests, then {args.runs} timed.")
    for line in results:
        print(line)
    print(f"Load after run: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
