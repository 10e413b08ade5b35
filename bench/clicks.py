#!/usr/bin/env python3
"""Click redirect benchmark: the production stack on loopback, driven by wrk.

    .venv/bin/python bench/clicks.py [--seconds 20] [--workers 2] [--threads 2] [--profile DIR]

Starts its own throwaway PostgreSQL and Redis (scripts/with_services.py), migrates, seeds one
offer, publisher and link, then one Celery worker (queue `clicks`, with beat) and the web
server: granian with config.wsgi (threads, the lean WSGI click handler; what deploy/ runs). For it,
then for a baseline (a plain Django view saving the click with the ORM, bench/clicks_baseline.py,
under WSGI) it runs:

1. wrk at full speed for --seconds (32 connections);
2. wrk paced to about 1,000 req/s for --seconds (wrk has no rate limiter and Debian ships no
   wrk2: each of 20 connections waits 19 ms between requests, see bench/clicks.lua; the rate
   reached is printed);

and after each phase waits for the buffer to drain and compares the clicks in PostgreSQL with
the requests wrk sent (counted by the Lua script, in-flight ones included). It also prints the
CPU each component used per request (web, worker, Redis, PostgreSQL, wrk), read from /proc,
and with --profile samples one web worker with py-spy (collapsed stacks, one file per phase).
"""

import argparse
import contextlib
import gc
import os
import re
import resource
import signal
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
WRK_THREADS = 1
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


# Real browsers' user agents, for benches that build clicks themselves (ingest, rollups).
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36",
)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_table() -> dict[int, tuple[int, float, str]]:
    """pid -> (parent pid, CPU seconds so far, command line) for every process we can read."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (
            int(fields[1]),
            sum(int(value) for value in fields[11:15]) / CLOCK_TICKS,
            cmdline,
        )
    return table


def _tree(table: dict, root: int) -> set[int]:
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _, _) in table.items() if ppid == parent]
        found.update(children)
        frontier.extend(children)
    return found


def cpu_by_component(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each component's whole process tree."""
    table = _proc_table()
    return {
        name: sum(table[pid][1] for pid in _tree(table, root) if pid in table)
        for name, root in roots.items()
    }


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def in_process_services(prefix: str, **settings: str):
    """Throwaway PostgreSQL and Redis for a bench that runs the app in its own process: puts
    their URLs and bench settings (plus `settings`) in the environment Django will read, and
    yields the work folder."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        work = Path(tmp)
        (work / "redis").mkdir()
        if os.geteuid() == 0:
            os.chmod(work, 0o755)
        with throwaway_postgres(work) as db_url, throwaway_redis(work / "redis") as redis_url:
            os.environ.update(
                DATABASE_URL=db_url,
                REDIS_URL=redis_url,
                SECRET_KEY="bench-only-secret-key-" + "x" * 40,
                CALLBACK_SECRET_KEYS="YmVuY2gtb25seS1jYWxsYmFjay1rZXkteHh4eHh4eHg=",
                DEBUG="0",
                LOG_LEVEL="WARNING",
                AFFNET_VAR_DIR=str(work),
                DJANGO_SETTINGS_MODULE="config.settings",
                **settings,
            )
            yield work


class GcTime:
    """Seconds the cyclic garbage collector runs, from gc.callbacks."""

    def __init__(self) -> None:
        self.seconds, self.runs, self._start = 0.0, 0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start
            self.runs += 1


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return f"{os.cpu_count()} cores ({model}), load before run {load[0]:.2f}"


def sql(env: dict, query: str) -> list[tuple]:
    """Run one statement on the bench's database; its rows (none for a command)."""
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as conn:
        cursor = conn.execute(query)
        return cursor.fetchall() if cursor.description else []


def psql_count(env: dict) -> int:
    return sql(env, "SELECT count(*) FROM tracking_click")[0][0]


def stream_backlog(env: dict) -> int:
    import redis

    client = redis.Redis.from_url(env["REDIS_URL"])
    try:
        length = client.xlen("affnet:clicks")
    finally:
        client.close()
    return length


def drain(env: dict, timeout: float = 120) -> tuple[int, float]:
    """Wait until the stream is empty and the count has stopped moving (requests still in the
    server when wrk stopped land too); (count, seconds waited)."""
    started = time.monotonic()
    last = -1
    while time.monotonic() - started < timeout:
        count = psql_count(env)
        if count == last and stream_backlog(env) == 0:
            return count, time.monotonic() - started
        last = count
        time.sleep(0.5)
    return psql_count(env), time.monotonic() - started


def wrk_run(
    script: str,
    url: str,
    seconds: int,
    *,
    threads: int,
    connections: int,
    env: dict,
    timeout: str = "",
) -> dict[str, int]:
    """wrk with one of bench/'s Lua scripts: the BENCH key=value fields it printed
    (bench/wrk_report.lua)."""
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            *(["--timeout", timeout] if timeout else []),
            "-s",
            str(ROOT / "bench" / script),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    bench_lines = " ".join(line for line in out.splitlines() if line.startswith("BENCH"))
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", bench_lines)}


def wrk(url_base: str, path: str, seconds: int, *, connections: int, delay_ms: int) -> dict:
    env = {**os.environ, "BENCH_PATH": path, "BENCH_DELAY_MS": str(delay_ms)}
    result: dict = wrk_run(
        "clicks.lua",
        url_base + path,
        seconds,
        threads=WRK_THREADS,
        connections=connections,
        env=env,
    )
    # wrk calls request() once per thread before it connects (checked against a counting
    # server): that call sends nothing.
    result["sent"] -= WRK_THREADS
    result["rps"] = result["completed"] / (result["duration_us"] / 1e6)
    return result


def run_server(env: dict, target: list[str], port: int, workers: int, threads: int):
    threading = ["--blocking-threads", str(threads)]
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
        *threading,
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


PROFILE_DIR: Path | None = None


def py_spy(pid: int, output: Path, *, seconds: int = 0, gil: bool = False, rate: int = 250):
    """py-spy sampling `pid` into `output` (raw collapsed stacks), for `seconds` (0: until
    stopped); `gil`: only the thread holding the GIL, i.e. Python's own CPU."""
    return subprocess.Popen(
        [
            str(VENV_BIN / "py-spy"),
            "record",
            "--pid",
            str(pid),
            *(["--duration", str(seconds)] if seconds else []),
            "--rate",
            str(rate),
            *(["--gil"] if gil else []),
            "--format",
            "raw",
            "--output",
            str(output),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def profile_start(server_pid: int, seconds: int, label: str) -> subprocess.Popen:
    """py-spy on one web worker process for the phase: collapsed stacks and a flame graph."""
    table = _proc_table()
    workers = [pid for pid in _tree(table, server_pid) if pid != server_pid] or [server_pid]
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    assert PROFILE_DIR is not None
    return py_spy(workers[0], PROFILE_DIR / f"{slug}.txt", seconds=max(1, seconds - 1))


def find_redis_pid(redis_url: str) -> int:
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    for pid, (_, _, cmdline) in _proc_table().items():
        if "redis-server" in cmdline and (f":{port}" in cmdline or f"--port {port}" in cmdline):
            return pid
    raise RuntimeError("redis-server not found")


def find_postgres_pid() -> int:
    return int((Path(os.environ["PG_DATADIR"]) / "postmaster.pid").read_text().split()[0])


PAUSE_INGEST = False


def _signal_tree(root: int, sig: int) -> None:
    for pid in _tree(_proc_table(), root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def measure(name: str, env: dict, base: str, path: str, seconds: int, rows: list, roots) -> None:
    for phase, connections, delay in (
        ("full speed", 32, 0),
        ("~1,000 req/s", RATE_CONNECTIONS, RATE_DELAY_MS),
    ):
        # Warm every worker process and thread (link cache, DB connections) outside the count.
        wrk(base, path, 2, connections=connections, delay_ms=0)
        drain(env, timeout=30)
        before = psql_count(env)
        log(f"{name}: {phase} for {seconds}s")
        spy = profile_start(roots["web"], seconds, f"{name} {phase}") if PROFILE_DIR else None
        cpu_before = cpu_by_component(roots)
        wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        if PAUSE_INGEST:  # the web tier alone, as on a node without workers: clicks wait
            _signal_tree(roots["worker"], signal.SIGSTOP)
        result = wrk(base, path, seconds, connections=connections, delay_ms=delay)
        if PAUSE_INGEST:
            _signal_tree(roots["worker"], signal.SIGCONT)
        wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        landed, waited = drain(env)
        cpu_after = cpu_by_component(roots)
        if spy is not None:
            spy.wait()
        cpu = {key: cpu_after[key] - cpu_before[key] for key in roots}
        cpu["wrk"] = (wrk_after.ru_utime + wrk_after.ru_stime) - (
            wrk_before.ru_utime + wrk_before.ru_stime
        )
        rows.append(
            {
                "server": name,
                "phase": phase,
                **result,
                "landed": landed - before,
                "drain_s": waited,
                "cpu_us": {key: value / result["sent"] * 1e6 for key, value in cpu.items()},
            }
        )


def services_env(stack: contextlib.ExitStack, prefix: str, **extra: str) -> tuple[Path, dict]:
    """A work folder, a throwaway PostgreSQL and Redis (closed with `stack`), and the
    environment the bench's servers and workers run with, plus `extra`."""
    work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
    (work / "redis").mkdir()
    (work / "var").mkdir()
    if os.geteuid() == 0:
        os.chmod(work, 0o755)
    env = {
        **os.environ,
        "DATABASE_URL": stack.enter_context(throwaway_postgres(work)),
        "REDIS_URL": stack.enter_context(throwaway_redis(work / "redis")),
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "CALLBACK_SECRET_KEYS": "YmVuY2gtb25seS1jYWxsYmFjay1rZXkteHh4eHh4eHg=",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "AFFNET_VAR_DIR": str(work / "var"),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra,
    }
    return work, env


def clicks_worker(env: dict, work: Path, nice: int) -> subprocess.Popen:
    """One Celery worker on the `clicks` queue (solo pool, beat embedded). The ingester is
    throughput work that may lag a moment; the redirect is latency work: production runs the
    worker niced the same way (docs)."""
    return subprocess.Popen(
        [
            "nice",
            "-n",
            str(nice),
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--worker-nice", type=int, default=10)
    parser.add_argument("--profile", type=Path, help="folder for py-spy stacks of a web worker")
    parser.add_argument(
        "--pause-ingest",
        action="store_true",
        help="stop the ingest worker (SIGSTOP) while wrk runs: the web tier alone, clicks "
        "waiting in Redis, then drained and counted as usual",
    )
    args = parser.parse_args()
    global PROFILE_DIR, PAUSE_INGEST
    PROFILE_DIR = args.profile
    PAUSE_INGEST = args.pause_ingest
    if PROFILE_DIR:
        PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    header = machine()
    rows: list[dict] = []
    with contextlib.ExitStack() as stack:
        work, env = services_env(stack, "affnet-bench-")
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "-v0", "--skip-checks"], cwd=ROOT, env=env, check=True
        )
        subprocess.run([PYTHON, "manage.py", "shell", "-c", SEED], cwd=ROOT, env=env, check=True)
        worker = clicks_worker(env, work, args.worker_nice)
        stack.callback(stop, worker)
        path = "/c/benchLink0001?sub1=abc&sub2=def&source=bench"
        roots = {
            "web": 0,
            "worker": worker.pid,
            "redis": find_redis_pid(env["REDIS_URL"]),
            "postgres": find_postgres_pid(),
        }

        port = free_port()
        server = run_server(env, ["config.wsgi:application"], port, args.workers, args.threads)
        roots["web"] = server.pid
        measure(
            "click path, granian WSGI + lean handler",
            env,
            f"http://127.0.0.1:{port}",
            path,
            args.seconds,
            rows,
            roots,
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
            roots["web"] = server.pid
            measure(
                "baseline: plain Django view + ORM (WSGI)",
                env,
                f"http://127.0.0.1:{port}",
                "/base" + path,
                args.seconds,
                rows,
                roots,
            )
            stop(server)

    print(f"\nMachine: {header}")
    print(
        f"Command: .venv/bin/python bench/clicks.py --seconds {args.seconds} "
        f"--workers {args.workers} --threads {args.threads} "
        f"--worker-nice {args.worker_nice}"
    )
    print(
        f"\n| {'server':40} | {'phase':12} | {'req/s':>7} | {'p50 ms':>6} | {'p99 ms':>6} "
        f"| {'sent':>7} | {'in PG':>7} | {'errors':>6} |"
    )
    print(f"|{'-' * 42}|{'-' * 14}|{'-' * 9}|{'-' * 8}|{'-' * 8}|{'-' * 9}|{'-' * 9}|{'-' * 8}|")
    ok = True
    for row in rows:
        errors = row["errors"] + row["non2xx3xx"]
        ok = ok and row["landed"] == row["sent"] and errors == 0
        print(
            f"| {row['server']:40} | {row['phase']:12} | {row['rps']:7.0f} | "
            f"{row['p50_us'] / 1000:6.2f} | {row['p99_us'] / 1000:6.2f} | {row['sent']:7} | "
            f"{row['landed']:7} | {errors:6} |"
        )
    print("\nCPU per request sent, microseconds (process trees; wrk is the load generator):")
    print(f"| {'server':40} | {'phase':12} | " + " | ".join(f"{k:>8}" for k in rows[0]["cpu_us"]))
    for row in rows:
        cells = " | ".join(f"{value:8.0f}" for value in row["cpu_us"].values())
        print(f"| {row['server']:40} | {row['phase']:12} | {cells}")
    print("\nEvery click sent landed in PostgreSQL." if ok else "\nMISMATCH: see the table.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
