#!/usr/bin/env python3
"""Click redirect benchmark: the production stack on loopback, driven by wrk.

    .venv/bin/python bench/clicks.py [--seconds 20] [--workers 2] [--threads 4]

Starts its own throwaway PostgreSQL and Redis (scripts/with_services.py), migrates, seeds one
offer, publisher and link, then runs the web server chosen for production (granian, WSGI, the
lean click handler of config/wsgi.py) and one Celery worker (queue `clicks`, with beat for the
1-second ingest schedule). For the click path and then for a baseline (a plain Django view
saving the click with the ORM, bench/clicks_baseline.py) it runs:

1. wrk at full speed for --seconds;
2. wrk paced to about 1,000 req/s for --seconds (wrk has no rate limiter and Debian ships no
   wrk2: each of 20 connections waits 19 ms between requests, see bench/clicks.lua; the rate
   reached is printed);

and after each phase waits for the buffer to drain and compares the clicks in PostgreSQL with
the requests wrk sent (counted by the Lua script, in-flight ones included). Prints a table.
"""

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from with_services import free_port, throwaway_postgres, throwaway_redis, wait_for_port  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
RATE_CONNECTIONS = 20
RATE_DELAY_MS = 19
SEED = """
from offers.models import Advertiser, Offer
from affiliates.models import Publisher
from tracking.models import TrackingLink
from tracking.clicks.partitions import click_partitions_maintain
advertiser = Advertiser.objects.create(name="Bench advertiser")
offer = Offer.objects.create(
    advertiser=advertiser, name="Bench offer",
    landing_url="https://shop.example/land?cid={click_id}&s1={sub1}&src={source}&cc={country}",
    fallback_url="https://shop.example/fallback")
publisher = Publisher.objects.create(name="Bench publisher", status="active")
TrackingLink.objects.create(code="benchLink0001", offer=offer, publisher=publisher)
click_partitions_maintain()
"""


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


def psql_count(env: dict) -> int:
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as conn:
        return conn.execute("SELECT count(*) FROM tracking_click").fetchone()[0]


def stream_backlog(env: dict) -> int:
    import redis

    client = redis.Redis.from_url(env["REDIS_URL"])
    try:
        length = client.xlen("affnet:clicks")
    finally:
        client.close()
    return length


def drain(env: dict, expected: int, timeout: float = 120) -> tuple[int, float]:
    """Wait until the stream is empty and the count stops moving; (count, seconds waited)."""
    started = time.monotonic()
    last = -1
    while time.monotonic() - started < timeout:
        count = psql_count(env)
        if stream_backlog(env) == 0 and count == last:
            return count, time.monotonic() - started
        if count >= expected and stream_backlog(env) == 0:
            return count, time.monotonic() - started
        last = count
        time.sleep(1)
    return psql_count(env), time.monotonic() - started


def wrk(url_base: str, path: str, seconds: int, *, connections: int, delay_ms: int) -> dict:
    env = {**os.environ, "BENCH_PATH": path, "BENCH_DELAY_MS": str(delay_ms)}
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(ROOT / "bench/clicks.lua"),
            url_base + path,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fields = dict(
        re.findall(
            r"(\w+)=(\d+)", " ".join(line for line in out.splitlines() if line.startswith("BENCH"))
        )
    )
    result = {key: int(value) for key, value in fields.items()}
    result["rps"] = result["completed"] / (result["duration_us"] / 1e6)
    return result


def run_server(env: dict, target: list[str], port: int, workers: int, threads: int):
    cmd = [
        str(VENV_BIN / "granian"),
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--no-ws",
        "--log-level",
        "warning",
        *target,
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    wait_for_port(port)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def measure(name: str, env: dict, base: str, path: str, seconds: int, rows: list) -> None:
    for phase, connections, delay in (
        ("full speed", 32, 0),
        ("~1,000 req/s", RATE_CONNECTIONS, RATE_DELAY_MS),
    ):
        before = psql_count(env)
        # Warm every worker process and thread (link cache, DB connections) outside the count.
        wrk(base, path, 2, connections=connections, delay_ms=0)
        _, _ = drain(env, 0, timeout=30)
        before = psql_count(env)
        log(f"{name}: {phase} for {seconds}s")
        result = wrk(base, path, seconds, connections=connections, delay_ms=delay)
        landed, waited = drain(env, before + result["sent"])
        rows.append(
            {"server": name, "phase": phase, **result, "landed": landed - before, "drain_s": waited}
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    header = machine()
    rows: list[dict] = []
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="affnet-bench-")))
        (work / "redis").mkdir()
        (work / "var").mkdir()
        if os.geteuid() == 0:
            os.chmod(work, 0o755)
        env = {
            **os.environ,
            "DATABASE_URL": stack.enter_context(throwaway_postgres(work)),
            "REDIS_URL": stack.enter_context(throwaway_redis(work / "redis")),
            "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "AFFNET_VAR_DIR": str(work / "var"),
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "-v0", "--skip-checks"], cwd=ROOT, env=env, check=True
        )
        subprocess.run([PYTHON, "manage.py", "shell", "-c", SEED], cwd=ROOT, env=env, check=True)
        worker = subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-B",
                "-Q",
                "clicks",
                "-P",
                "solo",
                "--loglevel",
                "WARNING",
                "--schedule",
                str(work / "var" / "beat-schedule"),
            ],
            cwd=ROOT,
            env=env,
        )
        stack.callback(stop, worker)
        path = "/c/benchLink0001?sub1=abc&sub2=def&source=bench"

        port = free_port()
        server = run_server(env, ["config.wsgi:application"], port, args.workers, args.threads)
        measure(
            "click path (granian + lean handler)",
            env,
            f"http://127.0.0.1:{port}",
            path,
            args.seconds,
            rows,
        )
        stop(server)

        if not args.skip_baseline:
            port = free_port()
            base_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.clicks_baseline_settings"}
            server = run_server(
                base_env,
                ["--factory", "django.core.wsgi:get_wsgi_application"],
                port,
                args.workers,
                args.threads,
            )
            measure(
                "baseline (plain Django view + ORM)",
                env,
                f"http://127.0.0.1:{port}",
                "/base" + path,
                args.seconds,
                rows,
            )
            stop(server)

    print(f"\nMachine: {header}")
    print(
        f"Command: .venv/bin/python bench/clicks.py --seconds {args.seconds} "
        f"--workers {args.workers} --threads {args.threads}"
    )
    print(
        f"\n| {'server':38} | {'phase':12} | {'req/s':>7} | {'p50 ms':>6} | {'p99 ms':>6} "
        f"| {'sent':>7} | {'in PG':>7} | {'errors':>6} |"
    )
    print(f"|{'-' * 40}|{'-' * 14}|{'-' * 9}|{'-' * 8}|{'-' * 8}|{'-' * 9}|{'-' * 9}|{'-' * 8}|")
    ok = True
    for row in rows:
        errors = row["errors"] + row["non2xx3xx"]
        ok = ok and row["landed"] == row["sent"] and errors == 0
        print(
            f"| {row['server']:38} | {row['phase']:12} | {row['rps']:7.0f} | "
            f"{row['p50_us'] / 1000:6.2f} | {row['p99_us'] / 1000:6.2f} | {row['sent']:7} | "
            f"{row['landed']:7} | {errors:6} |"
        )
    print("\nEvery click sent landed in PostgreSQL." if ok else "\nMISMATCH: see the table.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
