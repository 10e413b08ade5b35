#!/usr/bin/env python3
"""The whole click loop on one box, paced (issue 18, target 1).

    .venv/bin/python bench/loop.py [--seconds 60] [--rate N | --times 4] [--baseline-seconds 10]
                                   [--profile DIR]

Everything on this machine: throwaway PostgreSQL and Redis, the web tier as deploy/ runs it
(granian, config.wsgi, 2 workers), one clicks worker (Celery, queue `clicks`, solo, with beat,
niced as in production), and wrk driving varied traffic (bench/loop.lua): 120 links (20 offers,
half paid per click, half per sale, times 6 publishers), a random public client address per
click (X-Real-IP from loopback, so countries vary), four user agents, 1,000 sub1 values, 20 sub2,
five sources.

1. The naive baseline: a plain Django view that saves the click with the ORM and redirects
   (bench/clicks_baseline.py, the same granian settings), wrk at full speed (32 connections) for
   --baseline-seconds over the same varied paths. Its rate is the yardstick.
2. The loop, paced at --rate clicks/s (default: --times x the baseline's rate) for --seconds:
   every 5 s it prints the stream backlog (clicks answered but not yet in PostgreSQL) and the
   clicks stored. Then it waits until the stream is empty and the count stops moving.
3. The CPC earnings: the production default (TRAFFIC_BOOKING=daily) books them once per network
   day from the stored clicks (tracking/traffic_booking.py); the bench books its own day then,
   and counts that CPU as part of the loop.

CPU per click is every process but wrk's (web, worker, Redis, PostgreSQL, the booking), from
/proc, over the paced phase and its drain. Checks: every click wrk sent is in PostgreSQL, every
rollup table counts exactly those clicks, and the CPC ledger entries pay what the booked days
counted at the offers' prices. Exit status 1 if any check fails.
"""

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from with_services import free_port  # noqa: E402

from bench.clicks import (  # noqa: E402
    PYTHON,
    _proc_table,
    _tree,
    clicks_worker,
    cpu_by_component,
    drain,
    find_postgres_pid,
    find_redis_pid,
    log,
    machine,
    psql_count,
    py_spy,
    run_server,
    services_env,
    sql,
    stop,
    stream_backlog,
    wrk_run,
)

OFFERS, PUBLISHERS = 20, 6
WRK_THREADS = 1
DELAY_MS = 10
SAMPLE_SECONDS = 5
CPC_REVENUE, CPC_PAYOUT = "0.0500", "0.0300"


def seed(offers: int, publishers: int) -> str:
    """Django shell code that creates `offers` x `publishers` links and prints their codes."""
    return f"""
from decimal import Decimal
from affiliates.models import Publisher
from offers.models import Advertiser, Goal, Offer, Terms
from tracking.clicks.partitions import click_partitions_maintain
from tracking.models import TrackingLink
click_partitions_maintain()
publishers = [Publisher.objects.create(name=f"Loop publisher {{p}}", status="active")
              for p in range({publishers})]
codes = []
for o in range({offers}):
    advertiser = Advertiser.objects.create(name=f"Loop advertiser {{o}}")
    offer = Offer.objects.create(
        advertiser=advertiser, name=f"Loop offer {{o}}",
        landing_url="https://shop.example/land?cid={{click_id}}&s1={{sub1}}&src={{source}}",
        fallback_url="https://shop.example/fallback")
    goal = Goal.objects.create(offer=offer, name="Main", ref="main", is_default=True)
    if o % 2 == 0:
        Terms.objects.create(goal=goal, revenue_kind="cpc", revenue_amount=Decimal("{CPC_REVENUE}"),
                             payout_kind="cpc", payout_amount=Decimal("{CPC_PAYOUT}"))
    else:
        Terms.objects.create(goal=goal, revenue_kind="cpa_flat", revenue_amount=Decimal(20),
                             payout_kind="cpa_flat", payout_amount=Decimal(12))
    for p, publisher in enumerate(publishers):
        code = f"loop{{o:02d}}p{{p}}"
        TrackingLink.objects.create(code=code, offer=offer, publisher=publisher)
        codes.append(code)
print(",".join(codes))
"""


SEED = seed(OFFERS, PUBLISHERS)
BOOK = """
import json, resource, time
from django.utils import timezone
from tracking.traffic_booking import traffic_day_book
from core.network_time import network_zone
day = timezone.now().astimezone(network_zone()).date()
started = time.process_time()
written = traffic_day_book(day=day)
print("BOOKED", json.dumps({"rows": written, "cpu": time.process_time() - started}))
"""


def wrk(base: str, codes: str, seconds: int, *, connections: int, delay_ms: int, prefix=""):
    env = {
        **os.environ,
        "BENCH_CODES": codes,
        "BENCH_DELAY_MS": str(delay_ms),
        "BENCH_PREFIX": prefix,
    }
    result: dict = wrk_run(
        "loop.lua",
        base,
        seconds,
        threads=WRK_THREADS,
        connections=connections,
        env=env,
        timeout="10s",
    )
    result["sent"] -= WRK_THREADS  # wrk calls request() once per thread before connecting
    result["rps"] = result["completed"] / (result["duration_us"] / 1e6)
    return result


class Sampler(threading.Thread):
    """Every SAMPLE_SECONDS: seconds since start, stream backlog, clicks stored."""

    def __init__(self, env: dict) -> None:
        super().__init__(daemon=True)
        self.env, self.rows, self.halt = env, [], threading.Event()
        self.started = time.monotonic()

    def run(self) -> None:
        while not self.halt.wait(SAMPLE_SECONDS):
            row = (time.monotonic() - self.started, stream_backlog(self.env), psql_count(self.env))
            self.rows.append(row)
            log(f"t={row[0]:5.1f}s backlog={row[1]:7d} stored={row[2]:9d}")


def redis_stats(env: dict, *, reset: bool = False) -> dict[str, tuple[int, int]]:
    """Redis's own count of each command since the last reset: name -> (calls, microseconds)."""
    import redis

    client = redis.Redis.from_url(env["REDIS_URL"])
    try:
        if reset:
            client.config_resetstat()
            return {}
        stats = client.info("commandstats")
    finally:
        client.close()
    return {
        name.removeprefix("cmdstat_"): (int(value["calls"]), int(value["usec"]))
        for name, value in stats.items()
    }


def rollup_clicks(env: dict) -> dict[str, int]:
    """Clicks counted by each rollup table."""
    tables = [
        name
        for (name,) in sql(
            env,
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'clicks' AND table_name LIKE 'reports\\_%' ORDER BY 1",
        )
    ]
    return {
        name: int(sql(env, f"SELECT coalesce(sum(clicks), 0) FROM {name}")[0][0]) for name in tables
    }


def cpc_check(env: dict) -> tuple[bool, str]:
    """The CPC ledger entries pay what the booked days counted, at the offers' payout price."""
    booked = sql(
        env,
        "SELECT coalesce(sum(paid), 0), coalesce(sum(payout), 0), "
        "coalesce(sum(counted), 0) FROM tracking_trafficday WHERE model = 'cpc'",
    )[0]
    ledger = sql(env, "SELECT count(*), coalesce(sum(amount), 0) FROM payouts_ledgerentry")[0]
    clicks_on_cpc = sql(
        env,
        "SELECT count(*) FROM tracking_click c JOIN offers_terms t "
        "ON t.goal_id = (SELECT id FROM offers_goal g WHERE g.offer_id = "
        "c.offer_id AND g.is_default) WHERE t.payout_kind = 'cpc'",
    )[0][0]
    paid, payout, counted = booked
    ok = counted == clicks_on_cpc and ledger[1] == payout and paid > 0
    return ok, (
        f"{clicks_on_cpc} clicks on CPC offers, {counted} counted by the booking, {paid} "
        f"paid, payout {payout}; ledger: {ledger[0]} entries, {ledger[1]}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument(
        "--rate", type=int, help="clicks/s to pace at (default: --times x baseline)"
    )
    parser.add_argument("--times", type=float, default=4.0)
    parser.add_argument("--baseline-seconds", type=int, default=10)
    parser.add_argument("--offers", type=int, default=OFFERS)
    parser.add_argument("--publishers", type=int, default=PUBLISHERS, help="links: offers x this")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker-nice", type=int, default=10)
    parser.add_argument("--profile", type=Path, help="folder for py-spy stacks (web, worker)")
    args = parser.parse_args()
    header = machine()
    with contextlib.ExitStack() as stack:
        work, env = services_env(
            stack, "affnet-loop-", CLICK_IP_HEADER="X-Real-IP", TRAFFIC_BOOKING="daily"
        )
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "-v0", "--skip-checks"], cwd=ROOT, env=env, check=True
        )
        codes = (
            subprocess.run(
                [PYTHON, "manage.py", "shell", "-c", seed(args.offers, args.publishers)],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        pg, redis_pid = find_postgres_pid(), find_redis_pid(env["REDIS_URL"])

        # 1. The naive baseline, alone on the machine (no worker: it writes PostgreSQL itself).
        port = free_port()
        server = run_server(
            {**env, "DJANGO_SETTINGS_MODULE": "bench.clicks_baseline_settings"},
            ["--factory", "django.core.wsgi:get_wsgi_application"],
            port,
            args.workers,
            args.threads,
        )
        base_url = f"http://127.0.0.1:{port}"
        wrk(base_url, codes, 2, connections=32, delay_ms=0, prefix="/base")
        roots = {"web": server.pid, "postgres": pg}
        cpu0 = cpu_by_component(roots)
        before = psql_count(env)
        log(f"baseline: full speed for {args.baseline_seconds}s")
        baseline = wrk(
            base_url, codes, args.baseline_seconds, connections=32, delay_ms=0, prefix="/base"
        )
        time.sleep(1)
        baseline["landed"] = psql_count(env) - before
        cpu1 = cpu_by_component(roots)
        baseline["cpu_us"] = {k: (cpu1[k] - cpu0[k]) / baseline["sent"] * 1e6 for k in roots}
        stop(server)
        sql(env, "TRUNCATE tracking_click")  # the loop's checks count its own clicks only

        # 2. The loop.
        worker = clicks_worker(env, work, args.worker_nice)
        stack.callback(stop, worker)
        port = free_port()
        server = run_server(env, ["config.wsgi:application"], port, args.workers, args.threads)
        stack.callback(stop, server)
        url = f"http://127.0.0.1:{port}"
        wrk(url, codes, 3, connections=32, delay_ms=0)  # warm links, connections, imports
        drain(env, timeout=300)
        rate = args.rate or int(baseline["rps"] * args.times)
        # Each connection sends, waits DELAY_MS, sends again: about 1,000 / (DELAY_MS + the
        # answer's latency) requests a second per connection. The latency depends on the load,
        # so a short paced run at a first guess calibrates the number of connections.
        guess = max(1, round(rate * (DELAY_MS + 1) / 1000))
        reached = wrk(url, codes, 5, connections=guess, delay_ms=DELAY_MS)["rps"]
        connections = max(1, round(guess * rate / reached))
        log(f"calibration: {guess} connections gave {reached:.0f}/s")
        drain(env, timeout=300)
        sql(env, "TRUNCATE tracking_click")
        for table in rollup_clicks(env):
            sql(env, f"TRUNCATE {table}")
        roots = {"web": server.pid, "worker": worker.pid, "redis": redis_pid, "postgres": pg}
        spies = _profile(args.profile, roots, args.seconds) if args.profile else []
        redis_stats(env, reset=True)
        cpu0 = cpu_by_component(roots)
        wrk0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        log(f"loop: paced at {rate}/s ({connections} connections) for {args.seconds}s")
        sampler = Sampler(env)
        sampler.start()
        loop = wrk(url, codes, args.seconds, connections=connections, delay_ms=DELAY_MS)
        wrk1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        _, waited = drain(env, timeout=300)
        sampler.halt.set()
        cpu1 = cpu_by_component(roots)
        commands = redis_stats(env)
        for spy in spies:
            spy.wait()
        # 3. The day's CPC booking.
        booked = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", BOOK],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        cpu2 = cpu_by_component(roots)
        landed = psql_count(env)
        rollups = rollup_clicks(env)
        cpc_ok, cpc_text = cpc_check(env)

    sent = loop["sent"]
    cpu = {k: (cpu1[k] - cpu0[k]) / sent * 1e6 for k in roots}
    # The booking's own CPU (not its process's start-up: a worker runs it) and PostgreSQL's.
    booking = json.loads(booked.strip().splitlines()[-1].removeprefix("BOOKED "))
    cpu["booking"] = (booking["cpu"] + cpu2["postgres"] - cpu1["postgres"]) / sent * 1e6
    wrk_us = ((wrk1.ru_utime + wrk1.ru_stime) - (wrk0.ru_utime + wrk0.ru_stime)) / sent * 1e6
    total = sum(cpu.values())
    print(f"\nMachine: {header}")
    print(
        f"Command: .venv/bin/python bench/loop.py --seconds {args.seconds} --rate {rate} "
        f"--baseline-seconds {args.baseline_seconds} --offers {args.offers} "
        f"--publishers {args.publishers}"
    )
    print(f"Booking: {booked.strip().splitlines()[-1]}")
    print("\n| server | clicks/s | p50 ms | p99 ms | sent | in PostgreSQL | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, row in (
        ("baseline: Django view + ORM, full speed", baseline),
        (f"the loop, paced at {rate}/s", {**loop, "landed": landed}),
    ):
        print(
            f"| {name} | {row['rps']:,.0f} | {row['p50_us'] / 1000:.2f} | "
            f"{row['p99_us'] / 1000:.2f} | {row['sent']:,} | {row['landed']:,} | "
            f"{row['errors'] + row['non2xx3xx']} |"
        )
    print(f"\nRatio: the loop sustained {loop['rps'] / baseline['rps']:.2f}x the baseline's rate.")
    print("\nBacklog (clicks answered, not yet in PostgreSQL), every 5 s:")
    for seconds, waiting, stored in sampler.rows:
        print(f"  t={seconds:5.1f}s backlog={waiting:7,d} stored={stored:9,d}")
    print(f"  drained {waited:.1f}s after wrk stopped")
    print("\nCPU per click sent, microseconds (process trees; wrk not counted):")
    print("| " + " | ".join(cpu) + " | total | (wrk) |")
    print("|" + "---:|" * (len(cpu) + 2))
    print("| " + " | ".join(f"{v:.0f}" for v in cpu.values()) + f" | {total:.0f} | {wrk_us:.0f} |")
    print("Redis by command (its own timing, per click sent; top 8 by time):")
    for name, (calls, usec) in sorted(commands.items(), key=lambda item: -item[1][1])[:8]:
        print(f"  {name:22} {calls / sent:6.2f} calls {usec / sent:7.1f} us")
    base_cpu = sum(baseline["cpu_us"].values())
    print(
        f"Baseline, web + PostgreSQL per click: {base_cpu:.0f} "
        f"({', '.join(f'{k} {v:.0f}' for k, v in baseline['cpu_us'].items())})"
    )
    checks = {
        f"every click sent is in PostgreSQL ({landed:,} of {sent:,})": landed == sent,
        "no errors": loop["errors"] + loop["non2xx3xx"] == 0,
        f"every rollup counts them ({len(rollups)} tables)": all(
            value == landed for value in rollups.values()
        ),
        f"CPC booked: {cpc_text}": cpc_ok,
        f"baseline clicks all stored ({baseline['landed']:,} of {baseline['sent']:,})": baseline[
            "landed"
        ]
        == baseline["sent"],
    }
    print()
    for text, ok in checks.items():
        print(("ok      " if ok else "FAILED  ") + text)
    if not all(checks.values()):
        print(f"rollups: {rollups}")
    return 0 if all(checks.values()) else 1


def _profile(folder: Path, roots: dict[str, int], seconds: int) -> list[subprocess.Popen]:
    """py-spy on one web worker and on the clicks worker, for the paced phase."""
    folder.mkdir(parents=True, exist_ok=True)
    table = _proc_table()
    spies = []
    for name in ("web", "worker"):
        # A granian worker (a child of the server), and the Celery worker itself (solo pool:
        # it ingests in its own process; its child is beat).
        children = sorted(pid for pid in _tree(table, roots[name]) if pid != roots[name])
        pid = children[0] if name == "web" and children else roots[name]
        spies.append(py_spy(pid, folder / f"loop-{name}.txt", seconds=seconds, gil=True, rate=200))
    return spies


if __name__ == "__main__":
    sys.exit(main())
