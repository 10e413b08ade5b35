#!/usr/bin/env python3
"""Where the click rollups belong (issue 18, target 1): Python per batch, or PostgreSQL.

    .venv/bin/python bench/rollups_where.py [--rounds 8] [--batches 5] [--batch 2000]

Starts its own throwaway PostgreSQL and Redis (scripts/with_services.py), migrates, seeds the
network of bench/loop.py (20 offers x 6 publishers), and copies every rollup table into a
schema `shadow` (LIKE ... INCLUDING ALL: same columns, key, indexes). Then, per round, it
inserts --batches batches of --batch clicks the way the ingester does
(tracking.clicks.store._insert, untimed): random countries and devices, 1,000 sub1 values,
20 sub2, five sources, some bots (their user agent), some repeats (not unique), some with a
creative or landing variant, each batch four minutes of click time after the last, from
22:00 UTC yesterday (the default run crosses midnight, so hours and days both change). It
then counts those batches twice, one transaction per batch, each path timed as a whole:

A. "python": reports.services.rollup_clicks_add(clicks=...), what the ingester's hook calls
   (the offers read, the facts built, aggregated in Python, one unnest upsert per table), into
   the public rollup tables;
B. "sql": the same call with `stored_in` (what the ingester's hook calls now,
   reports/clicks_in_sql.py): one statement per batch in which PostgreSQL reads the new rows
   back (their ids, and their time range for partition pruning), joins their offers,
   aggregates once per hour and full set of dimensions, then upserts every rollup table from
   that (13 data-modifying CTEs), into the shadow tables (first on the search_path).

Both paths see the same clicks in the same table states; their order alternates per round
(the machine's speed drifts). CPU is read from /proc: this process and PostgreSQL's whole
process tree (background writers and autovacuum included, whichever path they fall in).
Finally every rollup table is compared with its shadow, every row and every column but the
serial id: the run fails (exit 1) unless they are identical.

Not measured: CPC money (TRAFFIC_BOOKING=hourly passes each click's price to the rollups;
the default, daily, books it later, tracking/traffic_booking.py), so both paths count clicks,
unique clicks and bot clicks only.
"""

import argparse
import io
import os
import random
import sys
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.clicks import (  # noqa: E402
    USER_AGENTS,
    cpu_by_component,
    find_postgres_pid,
    in_process_services,
    log,
    machine,
)
from bench.loop import SEED  # noqa: E402

SHADOW = "shadow"
COUNTRIES = ("US", "DE", "FR", "GB", "BR", "IN", "ES", "IT", "CA", "MX")
DEVICES = ("mobile", "desktop", "tablet")
SOURCES = ("feed", "mail", "push", "search", "")
ODD_SUBS = ('naïve "q" {x},\\y', "NULL", "日本語 ✓", "a b\tc", "x" * 255)
BOT_AGENT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BATCH_SECONDS = 240  # of click time per batch: the run spans hours and crosses a UTC midnight


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8, help="timed rounds (plus one warm-up)")
    parser.add_argument("--batches", type=int, default=5, help="batches per round")
    parser.add_argument("--batch", type=int, default=2000, help="clicks per batch")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    header = machine()
    with in_process_services("affnet-rollups-where-"):
        return run(args, header)


def run(args, header: str) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from config.celery import gc_freeze_startup_objects
    from reports.rollups import ALL
    from tracking.models import TrackingLink

    call_command("migrate", verbosity=0, skip_checks=True)
    with redirect_stdout(io.StringIO()):
        exec(SEED, {})
    links = list(TrackingLink.objects.values_list("id", "offer_id", "publisher_id"))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {SHADOW}")
        for rollup in ALL:
            cursor.execute(
                f"CREATE TABLE {SHADOW}.{rollup.table} (LIKE {rollup.table} INCLUDING ALL)"
            )
    log(f"{len(links)} links")

    gc_freeze_startup_objects()  # as the worker does when ready (config/celery.py)
    rng = random.Random(args.seed)
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    clock = [start - timedelta(hours=2)]
    roots = {"postgres": find_postgres_pid()}
    totals = {"python": [0.0, 0.0, 0], "sql": [0.0, 0.0, 0]}
    rows = []
    inserted = 0
    for round_no in range(args.rounds + 1):
        batches = [
            insert_batch(links=links, size=args.batch, rng=rng, clock=clock)
            for _ in range(args.batches)
        ]
        clicks = sum(len(batch) for batch in batches)
        inserted += clicks
        order = ("python", "sql") if round_no % 2 else ("sql", "python")
        for path in order:
            own, postgres = timed(roots, path, batches)
            if round_no == 0:
                continue  # warm-up: counted in the check, not in the figures
            totals[path][0] += own
            totals[path][1] += postgres
            totals[path][2] += clicks
            rows.append((round_no, path, clicks, own, postgres))
            log(
                f"round {round_no} {path:6}: {own * 1e6 / clicks:6.1f} + "
                f"{postgres * 1e6 / clicks:6.1f} us per click"
            )

    problems = compare(ALL, inserted)
    print(f"machine: {header}; load after run {os.getloadavg()[0]:.2f}")
    print(f"command: .venv/bin/python bench/rollups_where.py {' '.join(sys.argv[1:])}".rstrip())
    print(
        f"{args.rounds} rounds (+1 warm-up) x {args.batches} batches x {args.batch} clicks; "
        "order alternates per round; one transaction per batch"
    )
    print("CPU per click, microseconds (this process + PostgreSQL's tree = total):")
    for round_no, path, clicks, own, postgres in rows:
        print(
            f"  round {round_no} {path:6}: {own * 1e6 / clicks:6.1f} + "
            f"{postgres * 1e6 / clicks:6.1f} = {(own + postgres) * 1e6 / clicks:6.1f}"
        )
    for path, (own, postgres, clicks) in totals.items():
        print(
            f"{path:6} overall: python {own * 1e6 / clicks:6.1f}, postgres "
            f"{postgres * 1e6 / clicks:6.1f}, total {(own + postgres) * 1e6 / clicks:6.1f}"
        )
    if problems:
        print("CHECK FAILED: the two paths' rollup tables differ:")
        for line in problems:
            print(f"  {line}")
        return 1
    print(f"CHECK PASSED: all {len(ALL)} rollup tables identical (every row, every column)")
    return 0


def insert_batch(*, links, size: int, rng: random.Random, clock: list[datetime]) -> list:
    """Insert one batch as the ingester does (no hooks); return its Clicks, with their ids."""
    from django.db import connection, transaction
    from ulid import ULID

    from tracking.clicks.ids import click_id_is_test
    from tracking.clicks.records import click_from_record
    from tracking.clicks.store import INSERT_CHUNK, _insert

    base = clock[0].timestamp()
    clock[0] += timedelta(seconds=BATCH_SECONDS)
    clicks = []
    for n in range(size):
        click_id = str(ULID.from_timestamp(base + BATCH_SECONDS * n / size))
        if click_id_is_test(click_id):
            continue
        link_id, offer_id, publisher_id = rng.choice(links)
        record = {
            "id": click_id,
            "o": offer_id,
            "p": publisher_id,
            "l": link_id,
            "ip": f"198.51.{rng.randrange(256)}.{rng.randrange(256)}",
            "ua": BOT_AGENT if rng.random() < 0.05 else rng.choice(USER_AGENTS),
            "r": "https://news.example/article",
            "cc": rng.choice(COUNTRIES),
            "dv": rng.choice(DEVICES),
            "s": [f"s{rng.randrange(1000)}", f"t{rng.randrange(20)}", "", "", ""],
            "src": rng.choice(SOURCES),
            "fr": "",
        }
        if rng.random() < 0.02:  # odd text, which the array literals and MD5 must keep exact
            record["s"][2:] = [rng.choice(ODD_SUBS), "", rng.choice(ODD_SUBS)]
        if rng.random() < 0.1:
            record["cv"] = rng.randrange(1, 4)
        if rng.random() < 0.2:
            record["lv"] = rng.randrange(1, 3)
        clicks.append(click_from_record(record=record, unique=rng.random() > 0.2, capped=False))
    by_id = {click.click_id: click for click in clicks}
    inserted = []
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(clicks), INSERT_CHUNK):
            for row_id, click_id in _insert(cursor, clicks[start : start + INSERT_CHUNK]):
                click = by_id[click_id]
                click.id = row_id
                click._state.adding = False
                inserted.append(click)
    return inserted


def timed(roots: dict, path: str, batches: list[list]) -> tuple[float, float]:
    """Count every batch by one path, one transaction each: (own CPU s, PostgreSQL CPU s).
    Path B is the product's own (rollup_clicks_add with `stored_in`, reports/clicks_in_sql.py),
    writing the shadow tables: they come first on the transaction's search_path."""
    from django.db import connection, transaction

    from reports.services import rollup_clicks_add
    from tracking.models import Click

    cpu_before, own_before = cpu_by_component(roots), os.times()
    for clicks in batches:
        with transaction.atomic():
            if path == "python":
                rollup_clicks_add(clicks=clicks)
            else:
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL search_path TO {SHADOW}, public")
                rollup_clicks_add(clicks=clicks, stored_in=Click._meta.db_table)
    cpu_after, own_after = cpu_by_component(roots), os.times()
    own = (own_after.user + own_after.system) - (own_before.user + own_before.system)
    return own, cpu_after["postgres"] - cpu_before["postgres"]


def compare(rollups, inserted: int) -> list[str]:
    """Every rollup table against its shadow, every column but the id, and the clicks each
    counts against those inserted: what differs."""
    from django.db import connection

    problems = []
    with connection.cursor() as cursor:
        for rollup in rollups:
            columns = ", ".join(
                f.column for f in rollup.model._meta.concrete_fields if not f.primary_key
            )
            mine = f"SELECT {columns} FROM {rollup.table}"
            theirs = f"SELECT {columns} FROM {SHADOW}.{rollup.table}"
            cursor.execute(
                f"SELECT (SELECT count(*) FROM ({mine} EXCEPT ALL {theirs}) a),"
                f" (SELECT count(*) FROM ({theirs} EXCEPT ALL {mine}) b),"
                f" (SELECT count(*) FROM {rollup.table}), (SELECT sum(clicks) FROM {rollup.table}),"
                f" (SELECT count(*) FROM {SHADOW}.{rollup.table})"
            )
            only_a, only_b, rows_a, clicks_a, rows_b = cursor.fetchone()
            log(f"{rollup.table}: {rows_a} rows ({clicks_a} clicks) vs {rows_b}")
            if only_a or only_b or rows_a == 0 or clicks_a != inserted:
                problems.append(
                    f"{rollup.table}: {only_a} rows only in python's, {only_b} only in sql's "
                    f"({rows_a} vs {rows_b} rows; {clicks_a} of {inserted} clicks counted)"
                )
    return problems


if __name__ == "__main__":
    sys.exit(main())
