#!/usr/bin/env python3
"""Attribution alone, in one process: what one attribution worker process does per second.

    .venv/bin/python bench/attribution.py [--callbacks 30000] [--batch 1000] [--profile FILE]

Starts its own throwaway PostgreSQL and Redis (scripts/with_services.py), migrates, seeds the
network and clicks of bench/conversions.py (one offer, revshare terms, clicks at their ULID's
time), stores one S2S callback through the endpoint's own service (`callback_receive`, token
auth) and copies it in SQL to one inbox row per click (its own click id and txn id), then runs
`inbox_batch_attribute` (the code the `attribution` worker runs, hooks included: rollups and
ledger earnings) in this process until no row is left.

It prints attributed/s, and where the time went: this process's CPU and PostgreSQL's CPU per
callback (from /proc; Redis's too), and the cyclic garbage collector's share. Without the web
server and wrk beside it, it isolates attribution for before/after comparisons;
bench/conversions.py measures the whole path.
"""

import argparse
import cProfile
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from clicks import (  # noqa: E402
    GcTime,
    cpu_by_component,
    find_postgres_pid,
    find_redis_pid,
    in_process_services,
    machine,
)
from conversions import SECRET, SEED  # noqa: E402

COPY = """
INSERT INTO tracking_callbackinbox (received_at, dialect, method, path, params, headers,
    remote_ip, advertiser_id, click_id, state, result, attempts, auth_deferred)
SELECT t.received_at, t.dialect, t.method, t.path,
       t.params || jsonb_build_object('click_id', c.click_id, 'txn_id', 'T-' || c.click_id),
       t.headers, t.remote_ip, t.advertiser_id, c.click_id, t.state, t.result, t.attempts,
       t.auth_deferred
FROM tracking_callbackinbox t, tracking_click c
WHERE t.id = %s AND c.click_id <> t.click_id
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--callbacks", type=int, default=30_000)
    parser.add_argument("--batch", type=int, default=1000, help="ATTRIBUTION_BATCH_SIZE")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the drain here")
    parser.add_argument("--no-gc-freeze", action="store_true", help="skip the worker's gc.freeze")
    args = parser.parse_args()
    header = machine()
    with in_process_services("affnet-attribution-") as work:
        return run(args, header, work)


def run(args, header: str, work: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from config.celery import gc_freeze_startup_objects
    from tracking.attribution.services import inbox_batch_attribute
    from tracking.callbacks.services import CallbackRequest, callback_receive
    from tracking.models import CallbackInbox, Conversion

    call_command("migrate", verbosity=0, skip_checks=True)
    ids_file = work / "ids.txt"
    # The same seed bench/conversions.py runs through `manage.py shell -c`.
    exec(SEED.format(secret=SECRET, ids=ids_file, count=args.callbacks), {})
    first = ids_file.read_text().split()[0]
    params = {"click_id": first, "txn_id": f"T-{first}", "amount": "19.99", "token": SECRET}
    template = callback_receive(
        request=CallbackRequest(
            dialect="s2s",
            method="GET",
            path="/postback",
            params=params,
            pairs=list(params.items()),
            headers={},
            remote_ip="127.0.0.1",
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(COPY, [template.pk])
        cursor.execute("VACUUM ANALYZE")
    rows = CallbackInbox.objects.filter(state=CallbackInbox.State.RECEIVED).count()
    print(f"[attribution] {rows} inbox rows to attribute", file=sys.stderr)

    # As the worker does when ready (config/celery.py); --no-gc-freeze shows what that saves.
    if not args.no_gc_freeze:
        gc_freeze_startup_objects()
    collector = GcTime()
    roots = {"postgres": find_postgres_pid(), "redis": find_redis_pid(os.environ["REDIS_URL"])}
    profile = cProfile.Profile() if args.profile else None
    cpu_before, own_before = cpu_by_component(roots), os.times()
    started = time.perf_counter()
    if profile:
        profile.enable()
    batches = 0
    while inbox_batch_attribute(limit=args.batch).claimed:
        batches += 1
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    seconds = time.perf_counter() - started
    cpu_after, own_after = cpu_by_component(roots), os.times()
    own = (own_after.user + own_after.system) - (own_before.user + own_before.system)
    postgres = cpu_after["postgres"] - cpu_before["postgres"]

    conversions = Conversion.objects.count()
    left = CallbackInbox.objects.filter(state=CallbackInbox.State.RECEIVED).count()
    print(header)
    print(
        f"attributed: {rows} in {seconds:.2f}s ({rows / seconds:,.0f}/s, one process, "
        f"{batches} batches of up to {args.batch})"
    )
    print(
        f"CPU per callback, microseconds: attribution {own * 1e6 / rows:,.0f}, "
        f"postgres {postgres * 1e6 / rows:,.0f}, "
        f"redis {(cpu_after['redis'] - cpu_before['redis']) * 1e6 / rows:,.0f}"
    )
    print(f"conversions: {conversions}, inbox rows left: {left}")
    print(
        f"cyclic GC: {collector.seconds:.2f}s in {collector.runs} collections "
        f"({'without' if args.no_gc_freeze else 'with'} gc.freeze at start-up)"
    )
    return 0 if conversions == rows and left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
