#!/usr/bin/env python3
"""Per-component click capacity for docs/scaling.md: Redis appends, ingest, PostgreSQL bytes.

    .venv/bin/python bench/ingest.py [--clicks 200000] [--batch 1000] [--profile FILE]

Starts its own throwaway PostgreSQL and Redis (scripts/with_services.py), migrates, loads the
demo network (seed_demo), then:

1. appends --clicks clicks to the stream through the redirect's own Lua script
   (`buffer_append`), spread over the demo links with realistic sub ids, IPs and user agents,
   and reads Redis's own CPU per call from INFO commandstats: `R_redis` = 1e6 / usec_per_call;
2. runs the ingester (`clicks_ingest`, the code the `clicks` worker runs, hooks included:
   CPC earnings and report rollups) in this one process until the stream is empty:
   `R_ingest` = clicks / seconds, for one process, and the CPU each click cost the ingester,
   PostgreSQL and Redis (from /proc: less sensitive to other load than clicks/s);
3. divides the clicks table's size with its indexes (every partition) by its rows: `D_click`.
"""

import argparse
import cProfile
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from clicks import (  # noqa: E402
    USER_AGENTS,
    GcTime,
    cpu_by_component,
    find_postgres_pid,
    find_redis_pid,
    in_process_services,
    machine,
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000, help="CLICK_INGEST_BATCH")
    parser.add_argument("--no-gc-freeze", action="store_true", help="skip the worker's gc.freeze")
    parser.add_argument(
        "--profile", type=Path, help="write a cProfile of the ingest (CPU time) here"
    )
    args = parser.parse_args()
    header = machine()
    with in_process_services("affnet-ingest-", CLICK_INGEST_BATCH=str(args.batch)):
        return run(args, header)


def run(args, header: str) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from config.celery import gc_freeze_startup_objects
    from tracking.clicks import buffer
    from tracking.clicks.ids import click_id_new
    from tracking.clicks.ingest import clicks_ingest
    from tracking.clicks.partitions import click_partitions_maintain
    from tracking.models import Click, TrackingLink

    call_command("migrate", verbosity=0, skip_checks=True)
    call_command("seed_demo", verbosity=0, stdout=io.StringIO())
    click_partitions_maintain()
    links = list(TrackingLink.objects.values_list("id", "offer_id", "publisher_id"))
    client = buffer.redis_client()
    client.config_resetstat()

    rng = random.Random(7)
    started = time.monotonic()
    for n in range(args.clicks):
        link_id, offer_id, publisher_id = rng.choice(links)
        ip = f"198.51.{rng.randrange(256)}.{rng.randrange(256)}"
        user_agent = rng.choice(USER_AGENTS)
        record = {
            "id": click_id_new(),
            "o": offer_id,
            "p": publisher_id,
            "l": link_id,
            "ip": ip,
            "ua": user_agent,
            "r": "https://news.example/article",
            "cc": rng.choice(("US", "DE", "FR", "GB", "BR")),
            "dv": rng.choice(("mobile", "desktop", "tablet")),
            "s": [f"s{rng.randrange(500)}", f"{n % 97}", "", "", ""],
            "src": rng.choice(("feed", "mail", "")),
            "fr": "",
        }
        buffer.buffer_append(
            record=record,
            unique_key=buffer.repeat_digest(
                ip=ip, user_agent=user_agent, offer_id=offer_id, publisher_id=publisher_id
            ),
            cap_flag_keys=[],
        )
    appended_in = time.monotonic() - started
    stats = client.info("commandstats")
    script = stats.get("cmdstat_evalsha") or stats.get("cmdstat_eval")
    usec_per_append = script["usec_per_call"]

    # As the worker does when ready (config/celery.py); --no-gc-freeze shows what that saves.
    if not args.no_gc_freeze:
        gc_freeze_startup_objects()
    collector = GcTime()
    roots = {"postgres": find_postgres_pid(), "redis": find_redis_pid(os.environ["REDIS_URL"])}
    cpu_before, own_before = cpu_by_component(roots), os.times()
    profile = cProfile.Profile(time.process_time) if args.profile else None
    started = time.monotonic()
    inserted = 0
    if profile:
        profile.enable()
    while client.xlen(buffer.stream_key()):
        inserted += clicks_ingest(max_seconds=60).inserted
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    ingest_seconds = time.monotonic() - started
    cpu_after, own_after = cpu_by_component(roots), os.times()
    own = (own_after.user + own_after.system) - (own_before.user + own_before.system)

    rows = Click.objects.count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
            " WHERE inhparent = 'tracking_click'::regclass"
        )
        click_bytes = cursor.fetchone()[0]

    print(f"machine: {header}")
    print(f"appended {args.clicks} clicks in {appended_in:.1f}s (one client, one call each)")
    print(
        f"R_redis: Redis CPU {usec_per_append:.2f} us per append "
        f"-> {1e6 / usec_per_append:,.0f} appends/s per Redis core"
    )
    print(
        f"R_ingest: {inserted} clicks ingested in {ingest_seconds:.1f}s by one process "
        f"(batch {args.batch}, hooks included) -> {inserted / ingest_seconds:,.0f} clicks/s"
    )
    per = 1e6 / max(inserted, 1)
    print(
        f"CPU per click, microseconds: ingester {own * per:,.0f}, "
        f"postgres {(cpu_after['postgres'] - cpu_before['postgres']) * per:,.0f}, "
        f"redis {(cpu_after['redis'] - cpu_before['redis']) * per:,.0f}"
    )
    print(
        f"cyclic GC while ingesting: {collector.seconds:.2f}s in {collector.runs} collections "
        f"({'without' if args.no_gc_freeze else 'with'} gc.freeze at start-up)"
    )
    print(f"D_click: {click_bytes / rows:,.0f} bytes per click row with indexes ({rows} rows)")
    return 0 if rows == args.clicks == inserted else 1


if __name__ == "__main__":
    sys.exit(main())
