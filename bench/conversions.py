#!/usr/bin/env python3
"""Conversion callback benchmark: callbacks posted to the production stack, then attributed.

    .venv/bin/python bench/conversions.py [--count 100000] [--seconds 30] [--workers 2]
        [--threads 16] [--no-drain] [--profile DIR] [--drain-processes N] [--skip-baseline]

Starts its own throwaway PostgreSQL and Redis (scripts/with_services.py), migrates, seeds one
advertiser (with a postback secret), offer, goal with revshare terms, publisher and --count
clicks, then:

1. runs the production web server (granian, WSGI, config.wsgi, so the lean callback handler)
   as deploy/granian.env runs it (2 workers; GRANIAN_BACKPRESSURE=32 gives 16 blocking threads
   per worker) and wrk for --seconds, each request a distinct S2S callback (its own click and
   txn id, token auth) — accepted/s is the inbox rows written divided by wrk's duration
   (answers other than 200 are counted too); it also prints the CPU each component (web,
   PostgreSQL, Redis, wrk) spent per accepted callback, read from /proc;
   Then, unless --skip-baseline, the same wrk run against a baseline beside it: a plain Django
   view checking the token and saving the callback with the ORM (bench/conversions_baseline.py,
   Django's full stack, the same granian settings), with its CPU per accepted callback and the
   ratio of the two (its rows are deleted before the drain);
2. stops the web server and starts ONE Celery worker (queue `attribution`) that drains the
   inbox — attributed/s is the rows processed divided by the time between the first and the
   last row processed. By default the worker runs the solo pool (one process); with
   --drain-processes N it runs prefork with N processes, as deploy/ runs it, and N drain tasks
   are sent (under live traffic each kick sends one), which claim disjoint batches.

Prints the counts: accepted = conversions + rejections (+ duplicates, which must be 0 here).
Clicks are seeded with created_at = their ULID's time, as the ingester writes them; the
endpoint's click read names that time. --no-drain stops after step 1; --profile samples one
web worker and the draining worker with py-spy (raw collapsed stacks).
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))

import clicks  # noqa: E402
from clicks import (  # noqa: E402
    PYTHON,
    VENV_BIN,
    cpu_by_component,
    find_postgres_pid,
    find_redis_pid,
    log,
    machine,
    profile_start,
    py_spy,
    run_server,
    services_env,
    sql,
    stop,
    wrk_run,
)
from with_services import free_port  # noqa: E402

SECRET = "bench-postback-secret"
SEED = """
from decimal import Decimal
from affiliates.keys import secret_hash
from affiliates.models import Publisher
from offers.models import Advertiser, Goal, Offer, Terms
from tracking.clicks.ids import click_id_new, click_id_time
from tracking.clicks.partitions import click_partitions_maintain
from tracking.models import Click
click_partitions_maintain()
advertiser = Advertiser.objects.create(name="Bench", postback_secret_hash=secret_hash("{secret}"))
offer = Offer.objects.create(advertiser=advertiser, name="Bench", landing_url="https://x.example/")
goal = Goal.objects.create(offer=offer, name="Sale", ref="sale", is_default=True)
Terms.objects.create(goal=goal, revenue_kind="revshare", revenue_percent=Decimal(20),
                     payout_kind="revshare", payout_percent=Decimal("7.5"))
publisher = Publisher.objects.create(name="Bench", status="active")
ids = [click_id_new() for _ in range({count})]
with open("{ids}", "w") as out:
    for start in range(0, {count}, 10000):
        # created_at is the ULID's own time, as the ingester stores it (tracking/clicks/ids.py)
        clicks = [Click(click_id=i, created_at=click_id_time(i), offer_id=offer.id,
                        publisher_id=publisher.id) for i in ids[start:start + 10000]]
        Click.objects.bulk_create(clicks)
        out.write("".join(c.click_id + "\\n" for c in clicks))
"""


def wrk(base: str, seconds: int, connections: int, env: dict, path: str = "/postback") -> dict:
    result = wrk_run(
        "conversions.lua",
        base,
        seconds,
        threads=2,
        connections=connections,
        env={**env, "BENCH_PATH": path},
    )
    result["errors"] += result.pop("non2xx3xx")  # reported together: errors or non-2xx
    return result


def endpoint_print(header, result, args, accepted, rate, cpu_line, answered=None) -> None:
    print(f"machine: {header}")
    print(
        f"wrk: {result['sent']} sent, {result['completed']} completed, "
        f"{result['errors']} errors/non-2xx in {result['duration_us'] / 1e6:.1f}s "
        f"({args.connections} connections, granian {args.workers} worker(s), "
        f"{args.threads} thread(s))"
    )
    states = f", {answered}" if answered is not None else ""
    print(f"accepted: {accepted} ({rate:,.0f}/s at the endpoint){states}")
    print(f"CPU per accepted callback, microseconds: {cpu_line}")


def drain_profile_start(worker_pid: int, folder: Path) -> subprocess.Popen:
    """py-spy on the draining worker until told to stop: collapsed stacks of attribution."""
    return py_spy(worker_pid, folder / "attribution.txt")


def baseline(
    env: dict, args, roots: dict, accepted: int, cpu_seconds: float, own_rate: float
) -> str:
    """The plain Django + ORM view under the same load, beside the endpoint in the same run:
    its rate, its web + PostgreSQL CPU per accepted callback, and the ratios. Its rows are
    deleted afterwards, so the drain sees the endpoint's rows only."""
    port = free_port()
    base_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.conversions_baseline_settings"}
    server = run_server(
        base_env,
        ["--factory", "django.core.wsgi:get_wsgi_application"],
        port,
        args.workers,
        args.threads,
    )
    log(f"posting callbacks to the baseline for {args.seconds}s")
    roots = {**roots, "web": server.pid}
    before = cpu_by_component(roots)
    result = wrk(f"http://127.0.0.1:{port}", args.seconds, args.connections, env, "/base/postback")
    after = cpu_by_component(roots)
    stop(server)
    where = "FROM tracking_callbackinbox WHERE path = '/base/postback'"
    stored = sql(env, f"SELECT count(*) {where}")[0][0]
    sql(env, f"DELETE {where} RETURNING 1")
    rate = stored / (result["duration_us"] / 1e6)
    used = {name: after[name] - before[name] for name in ("web", "postgres", "redis")}
    per = {name: seconds * 1e6 / max(stored, 1) for name, seconds in used.items()}
    ours = cpu_seconds * 1e6 / max(accepted, 1)
    theirs = per["web"] + per["postgres"]
    return (
        f"baseline (plain Django view + ORM create): {stored} accepted ({rate:,.0f}/s), "
        f"{result['errors']} errors/non-2xx; CPU per accepted callback, microseconds: "
        f"web {per['web']:,.0f}, postgres {per['postgres']:,.0f}, redis {per['redis']:,.0f}\n"
        f"endpoint vs baseline: web + PostgreSQL CPU per callback {ours:,.0f} vs {theirs:,.0f} "
        f"({theirs / max(ours, 1e-9):.2f}x less), accepted/s {own_rate:,.0f} vs "
        f"{rate:,.0f} ({own_rate / max(rate, 1e-9):.2f}x)"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000, help="clicks seeded")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2, help="web server processes")
    parser.add_argument("--threads", type=int, default=16, help="blocking threads per process")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--profile", type=Path, help="folder for py-spy stacks of a web worker and the drain"
    )
    parser.add_argument(
        "--no-drain", action="store_true", help="measure the endpoint only (no attribution)"
    )
    parser.add_argument(
        "--skip-baseline", action="store_true", help="no plain Django + ORM baseline run"
    )
    parser.add_argument(
        "--drain-processes",
        type=int,
        default=1,
        help="1: the worker's solo pool (one process); N: prefork with N processes, N drains",
    )
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        clicks.PROFILE_DIR = args.profile
    header = machine()
    with contextlib.ExitStack() as stack:
        work, env = services_env(stack, "affnet-bench-", BENCH_TOKEN=SECRET)
        env["BENCH_IDS"] = str(work / "ids.txt")
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "-v0", "--skip-checks"], cwd=ROOT, env=env, check=True
        )
        log(f"seeding {args.count} clicks")
        seed = SEED.format(secret=SECRET, ids=work / "ids.txt", count=args.count)
        subprocess.run([PYTHON, "manage.py", "shell", "-c", seed], cwd=ROOT, env=env, check=True)

        port = free_port()
        server = run_server(env, ["config.wsgi:application"], port, args.workers, args.threads)
        base = f"http://127.0.0.1:{port}"
        log(f"posting callbacks for {args.seconds}s")
        spy = profile_start(server.pid, args.seconds, "conversions") if args.profile else None
        roots = {
            "web": server.pid,
            "postgres": find_postgres_pid(),
            "redis": find_redis_pid(env["REDIS_URL"]),
        }
        cpu_before, wrk_before = cpu_by_component(roots), os.times()
        result = wrk(base, args.seconds, args.connections, env)
        cpu_after, wrk_after = cpu_by_component(roots), os.times()
        if spy is not None:
            spy.wait()
        stop(server)
        accepted = sql(env, "SELECT count(*) FROM tracking_callbackinbox")[0][0]
        accepted_rate = accepted / (result["duration_us"] / 1e6)
        cpu = {name: cpu_after[name] - cpu_before[name] for name in roots}
        cpu["wrk"] = (wrk_after.children_user + wrk_after.children_system) - (
            wrk_before.children_user + wrk_before.children_system
        )
        cpu_line = ", ".join(
            f"{name} {seconds * 1e6 / max(accepted, 1):,.0f}" for name, seconds in cpu.items()
        )
        answered = dict(
            sql(env, "SELECT state, count(*) FROM tracking_callbackinbox GROUP BY state")
        )
        web_per = cpu["web"] + cpu["postgres"]
        baseline_line = None
        if not args.skip_baseline:
            baseline_line = baseline(env, args, roots, accepted, web_per, accepted_rate)
        if args.no_drain:
            endpoint_print(header, result, args, accepted, accepted_rate, cpu_line, answered)
            if baseline_line:
                print(baseline_line)
            return 0

        pool = ["-P", "solo"]
        if args.drain_processes > 1:
            pool = ["-P", "prefork", "-c", str(args.drain_processes)]
        log(f"draining with one worker ({' '.join(pool)})")
        worker = subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                "attribution",
                *pool,
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
        )
        stack.callback(stop, worker)
        drain_spy = drain_profile_start(worker.pid, args.profile) if args.profile else None
        subprocess.run(
            [
                PYTHON,
                "-c",
                "import django; django.setup(); "
                "from tracking.tasks.attribution import attribution_drain as d; "
                f"[d.delay() for _ in range({args.drain_processes})]",
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        # From the start of the first batch (processed_at is stamped when a batch starts) to
        # when the inbox is seen empty, polled every 50 ms: the last batch counts in full.
        deadline, drained_at = time.monotonic() + 3600, time.time()
        while time.monotonic() < deadline:
            left = sql(env, "SELECT count(*) FROM tracking_callbackinbox WHERE state='received'")
            if left[0][0] == 0:
                drained_at = time.time()
                break
            time.sleep(0.05)
        if drain_spy is not None:
            drain_spy.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
            drain_spy.wait()
        first = sql(env, "SELECT extract(epoch FROM min(processed_at)) FROM tracking_callbackinbox")
        span = max(drained_at - float(first[0][0]), 1e-3)
        results = dict(
            sql(env, "SELECT result, count(*) FROM tracking_callbackinbox GROUP BY result")
        )
        conversions = sql(env, "SELECT count(*) FROM tracking_conversion")[0][0]
        ledger = sql(env, "SELECT count(*) FROM payouts_ledgerentry")[0][0]

    duplicates = results.get("duplicate_txn", 0) + results.get("duplicate_conversion", 0)
    rejections = sum(v for k, v in results.items() if k not in ("approved", "pending")) - duplicates
    endpoint_print(header, result, args, accepted, accepted_rate, cpu_line)
    if baseline_line:
        print(baseline_line)
    pool = "solo pool" if args.drain_processes == 1 else f"{args.drain_processes} processes"
    print(f"attributed: {accepted} in {span:.1f}s ({accepted / span:,.0f}/s by one worker, {pool})")
    print(
        f"conversions: {conversions}, rejections: {rejections}, duplicates: {duplicates}, "
        f"ledger entries: {ledger}, results: {results}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
