#!/usr/bin/env python3
"""A many-machine rehearsal on one machine (`make cluster-demo`).

Starts one PostgreSQL, one Redis (deploy/redis.conf), two web nodes (granian, deploy/granian.env)
and Celery workers plus the scheduler as separate processes on loopback ports, behind nginx
(the production locations, deploy/nginx/affnet-locations.conf), and a publisher's postback
server. Then it drives clicks and conversion callbacks (one for every second click) through
nginx, and on the way, by default (quick, about a minute):

- kills one web node and one worker with SIGKILL, halfway;
- restarts Redis once, while traffic flows (the redirect falls back to a direct write);

With `--hard` (`make cluster-demo REHEARSE_ARGS=--hard`, several minutes), over 20,000 clicks
and 10,000 callbacks, with two ingesters, two attribution workers and two for the rest:

- SIGKILLs a random worker every 5 s and a web node every 15 s, each restarted at once;
- restarts Redis twice and PostgreSQL once while traffic flows (visitors are still redirected:
  clicks wait in Redis; callbacks are spooled in Redis, or counted as refused if not);

each of which can be set alone (--clicks, --kill-worker-every, --kill-web-every,
--redis-restarts, --postgres-restarts). `--redis-cluster` puts the click buffer and repeat
markers on a three-primary Redis Cluster (CLICK_REDIS_MODE=cluster, --shards stream shards;
each Redis restart then also restarts one cluster primary). It drains, and checks from
PostgreSQL:

- every visitor was redirected (none turned away with an error);
- every redirected click is in PostgreSQL exactly once;
- every accepted callback is in the inbox exactly once, processed, with exactly one conversion;
- every approved conversion has exactly one ledger earning, for its payout;
- every approved conversion owed one postback per template, each sent and received once;
- every report rollup table adds up to the click and conversion rows it counts.

It prints the counts and exits 0 only when all hold. Everything runs on 127.0.0.1 and stops by
itself (bounded request counts, bounded waits).

    python deploy/rehearse.py [--clicks 1200] [--hard] [--redis-cluster] [--keep]
"""

import argparse
import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import redis  # noqa: E402
import requests  # noqa: E402

from core.streams import shard_tags  # noqa: E402
from deploy.rehearsal.checks import (  # noqa: E402
    PostbackReceiver,
    money_and_reports,
    postbacks_outstanding,
)
from deploy.rehearsal.faults import Chaos, FaultCounts, postgres_restart  # noqa: E402
from deploy.rehearsal.redis_cluster import RedisClusterNodes  # noqa: E402
from scripts.with_services import (  # noqa: E402
    ensure_redis_server,
    free_port,
    throwaway_postgres,
    wait_for_port,
)

PYTHON = sys.executable
BIN = Path(PYTHON).parent
CALLBACK_SECRET = "rehearsal-advertiser-secret"
# Two workers of each kind, as deploy/systemd sizes them per queue: two ingesters and two
# attribution workers run throughout (the hard run kills any of them at random). On one worker
# for every queue, the long ingest runs would hold its threads and starve the postbacks.
# Postbacks wait on the publisher's server, so their workers run more threads (deploy's
# postbacks worker runs 32): with 2 each, the --hard run's 20,000 postbacks drained at about
# 10 a second on a loaded machine and outlasted the drain's 25 minutes.
WORKERS = {
    "ingest1": ("clicks", 1),
    "ingest2": ("clicks", 1),
    "attribution1": ("attribution", 2),
    "attribution2": ("attribution", 2),
    "worker1": ("default,postbacks,payouts", 8),
    "worker2": ("default,postbacks,payouts", 8),
}
POSTBACK_TEMPLATES = ["a", "b"]
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


def say(message: str) -> None:
    print(f"[rehearse {time.strftime('%H:%M:%S')}] {message}", flush=True)


def ensure_nginx() -> str:
    found = shutil.which("nginx") or (Path("/usr/sbin/nginx").exists() and "/usr/sbin/nginx")
    if found:
        return str(found)
    say("nginx missing: installing Debian's nginx package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    # The package may start a system nginx on :80; ours runs on its own port and prefix.
    subprocess.run(
        [*sudo, "service", "nginx", "stop"],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class Proc:
    """A child process in its own process group, so SIGKILL takes its children with it."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen | None = None

    def start(self) -> "Proc":
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen and self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 15) -> None:
        if not self.popen or self.popen.poll() is not None:
            return
        self.kill(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.popen.wait(5)


@dataclass
class Cluster:
    workdir: Path
    env: dict[str, str]
    redis_port: int
    nginx_port: int
    web_ports: list[int]
    workers: dict[str, tuple[str, int]] = field(default_factory=lambda: dict(WORKERS))
    fail_timeout: int = 30
    redis_nodes: RedisClusterNodes | None = None
    procs: dict[str, Proc] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Proc:
        proc = Proc(name, argv, env or self.env, self.workdir / "logs" / f"{name}.log").start()
        self.procs[name] = proc
        return proc

    def stop_all(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()
        if self.redis_nodes is not None:
            self.redis_nodes.stop()

    def kill(self, name: str) -> None:
        """SIGKILL one process (its whole group) and reap it."""
        proc = self.procs[name]
        proc.kill()
        if proc.popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(10)

    def stream_client(self) -> redis.Redis:
        if self.redis_nodes is not None:
            return redis.RedisCluster.from_url(self.redis_nodes.urls[0])
        return redis.Redis(port=self.redis_port)

    def stream_keys(self) -> list[str]:
        key, shards = self.env["CLICK_STREAM_KEY"], int(self.env.get("CLICK_STREAM_SHARDS", "1"))
        if self.redis_nodes is None and shards == 1:
            return [key]
        return [f"{key}:{{{tag}}}" for tag in shard_tags(shards)]


# Services -----------------------------------------------------------------------------------


def redis_start(cluster: Cluster) -> Proc:
    """Our production redis.conf, on a loopback port, with its data under the work dir."""
    datadir = cluster.workdir / "redis"
    datadir.mkdir(exist_ok=True)
    proc = cluster.spawn(
        "redis",
        [
            ensure_redis_server(),
            str(ROOT / "deploy" / "redis.conf"),
            "--port",
            str(cluster.redis_port),
            "--dir",
            str(datadir),
            "--maxmemory",
            "512mb",
            "--save",
            "",
        ],
    )
    wait_for_port(cluster.redis_port)
    return proc


def redis_restart(cluster: Cluster, turn: int = 0) -> float:
    """SIGTERM (Redis fsyncs its AOF and exits), then start it again on the same data; with the
    buffer on a Redis Cluster, then one of its primaries (a different one each turn)."""
    started = time.monotonic()
    cluster.procs["redis"].stop()
    time.sleep(1.0)  # traffic keeps flowing while Redis is away
    redis_start(cluster)
    if cluster.redis_nodes is not None:
        ports = cluster.redis_nodes.ports
        cluster.redis_nodes.node_restart(ports[turn % len(ports)])
    return time.monotonic() - started


NGINX_CONF = """
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/logs/nginx-error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    include {root}/deploy/nginx/affnet-log.conf;
    access_log {work}/logs/nginx-access.log affnet;
    client_body_temp_path {work}/nginx-tmp/body;
    proxy_temp_path {work}/nginx-tmp/proxy;
    fastcgi_temp_path {work}/nginx-tmp/fastcgi;
    uwsgi_temp_path {work}/nginx-tmp/uwsgi;
    scgi_temp_path {work}/nginx-tmp/scgi;
    # The production zones, with rates high enough for one driver address.
    limit_req_zone $binary_remote_addr zone=clicks:1m rate=100000r/s;
    limit_req_zone $binary_remote_addr zone=callbacks:1m rate=100000r/s;
    limit_req_zone $binary_remote_addr zone=api:1m rate=100000r/s;
    upstream affnet_web {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        include {root}/deploy/nginx/affnet-locations.conf;
    }}
}}
"""


def nginx_start(cluster: Cluster) -> Proc:
    (cluster.workdir / "nginx-tmp").mkdir()
    # max_fails as in production (deploy/nginx/affnet.conf): at 1, one click answered slower
    # than the 5 s read timeout by the surviving node of an overloaded box took it out, and the
    # next kill left no node to send visitors to (509 of 20,000 clicks, "no live upstreams").
    servers = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=2 fail_timeout={cluster.fail_timeout}s;"
        for port in cluster.web_ports
    )
    conf = cluster.workdir / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(work=cluster.workdir, servers=servers, port=cluster.nginx_port, root=ROOT)
    )
    nginx = ensure_nginx()
    subprocess.run([nginx, "-t", "-q", "-p", str(cluster.workdir), "-c", str(conf)], check=True)
    proc = cluster.spawn("nginx", [nginx, "-p", str(cluster.workdir), "-c", str(conf)])
    wait_for_port(cluster.nginx_port)
    return proc


def granian_env(cluster: Cluster, port: int) -> dict[str, str]:
    env = dict(cluster.env)
    for line in (ROOT / "deploy" / "granian.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    env.update(GRANIAN_PORT=str(port), GRANIAN_WORKERS="1", GRANIAN_HOST="127.0.0.1")
    return env


def web_start(cluster: Cluster, index: int) -> Proc:
    port = cluster.web_ports[index]
    proc = cluster.spawn(
        f"web{index + 1}",
        [str(BIN / "granian"), "config.wsgi:application"],
        env=granian_env(cluster, port),
    )
    wait_for_port(port, seconds=60)
    wait_until_serving(port, seconds=60)
    return proc


def wait_until_serving(port: int, seconds: float) -> None:
    """Until the node answers its liveness probe itself. Its port opens before the app is loaded
    (granian binds, then its worker imports Django): on a loaded machine that took over 5 s, so a
    node counted as back while it was not made nginx mark both nodes down at the next kill
    (2,054 of 20,000 clicks answered 502 "no live upstreams" at load ~18)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the web node on :{port} does not answer /healthz after {seconds}s")


def worker_start(cluster: Cluster, name: str) -> Proc:
    queues, concurrency = cluster.workers[name]
    return cluster.spawn(
        name,
        [
            str(BIN / "celery"),
            "--app",
            "config",
            "worker",
            "--queues",
            queues,
            "--hostname",
            f"{name}@%h",
            "--pool",
            "threads",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
    )


def manage(cluster: Cluster, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], env=cluster.env, cwd=ROOT, check=True)


SEED = """
import json, django
django.setup()
from affiliates.keys import secret_hash
from tests import factories
advertiser = factories.AdvertiserFactory(postback_secret_hash=secret_hash({secret!r}))
offer = factories.OfferFactory(
    advertiser=advertiser, landing_url="https://shop.example/land?cid={{click_id}}"
)
goal = factories.GoalFactory(offer=offer, ref="sale")
factories.TermsFactory(goal=goal)
link = factories.TrackingLinkFactory(offer=offer)
# Every visitor and callback of the rehearsal comes from the driver's one address through nginx,
# so the IP and device signals would hold nearly every conversion for review (1 % reached the
# ledger) and the money checks would see little. Here they flag: still computed and recorded on
# every conversion, as in production; the money path runs for all.
import fraud.network_signals, fraud.traffic  # noqa: E401 (the signals register on import)
from fraud.services import fraud_rule_create
from fraud.signals import REGISTRY
manager = factories.ManagerFactory()
for spec in REGISTRY.values():
    if spec.action != "flag":
        fields = dict(offer=offer, signal=spec.name, threshold=spec.threshold, action="flag")
        fraud_rule_create(fields=fields, actor=manager)
for url in {postback_urls!r}:
    factories.PostbackTemplateFactory(publisher=link.publisher, url=url)
print(json.dumps({{"code": link.code}}))
"""


def seed(cluster: Cluster, receiver: PostbackReceiver) -> str:
    urls = [receiver.url(template) for template in POSTBACK_TEMPLATES]
    out = subprocess.run(
        [PYTHON, "-c", SEED.format(secret=CALLBACK_SECRET, postback_urls=urls)],
        env=cluster.env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])["code"]


# Traffic ------------------------------------------------------------------------------------


@dataclass
class Tally:
    clicks_sent: int = 0
    redirected: list[str] = field(default_factory=list)
    click_errors: dict[str, int] = field(default_factory=dict)
    callbacks_sent: int = 0
    # (inbox id, or None when spooled in Redis while PostgreSQL was down; click; txn)
    accepted: list[tuple[int | None, str, str]] = field(default_factory=list)
    callback_errors: dict[str, int] = field(default_factory=dict)
    refused_clicks: list[str] = field(default_factory=list)  # their callbacks, to send again
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, bucket: dict[str, int], key: str) -> None:
        with self.lock:
            bucket[key] = bucket.get(key, 0) + 1


_local = threading.local()


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
        _local.session.headers["User-Agent"] = USER_AGENT
    return _local.session


def click_once(base: str, code: str, n: int, tally: Tally) -> str | None:
    with tally.lock:
        tally.clicks_sent += 1
    try:
        # Many visitors, not one: a visitor's clicks share a repeat key, and so a stream shard.
        response = _session().get(
            f"{base}/c/{code}",
            params={"sub1": f"r{n}"},
            headers={"User-Agent": USER_AGENT.replace("126.0", f"126.0.{n % 5000}")},
            allow_redirects=False,
            timeout=15,
        )
    except requests.RequestException as exc:
        tally.error(tally.click_errors, type(exc).__name__)
        return None
    if response.status_code != 302:
        tally.error(tally.click_errors, f"http_{response.status_code}")
        return None
    location = response.headers["Location"]
    click_id = parse_qs(urlsplit(location).query).get("cid", [""])[0]
    if not click_id:
        tally.error(tally.click_errors, "redirect_without_click_id")
        return None
    with tally.lock:
        tally.redirected.append(click_id)
    return click_id


def callback_once(base: str, click_id: str, tally: Tally) -> None:
    txn = f"T-{click_id}"
    with tally.lock:
        tally.callbacks_sent += 1
    try:
        response = _session().get(
            f"{base}/postback",
            params={
                "click_id": click_id,
                "txn_id": txn,
                "amount": "10.00",
                "token": CALLBACK_SECRET,
            },
            timeout=15,
        )
    except requests.RequestException as exc:
        tally.error(tally.callback_errors, type(exc).__name__)
        with tally.lock:
            tally.refused_clicks.append(click_id)
        return
    if response.status_code != 200:
        tally.error(tally.callback_errors, f"http_{response.status_code}")
        with tally.lock:
            tally.refused_clicks.append(click_id)
        return
    with tally.lock:
        tally.accepted.append((response.json().get("id"), click_id, txn))


def drive_interleaved(
    base: str, code: str, numbers: range, tally: Tally, pool: ThreadPoolExecutor
) -> None:
    """Each click, then its callback for every second one: callbacks flow all the time (through
    a PostgreSQL restart too), not in bursts after the clicks."""

    def one(n: int) -> None:
        click_id = click_once(base, code, n, tally)
        if click_id and n % 2 == 0:
            callback_once(base, click_id, tally)

    list(pool.map(one, numbers))


def drive(base: str, code: str, numbers: range, tally: Tally, pool: ThreadPoolExecutor) -> None:
    """Clicks for `numbers`; a callback for every second redirected click."""
    click_ids = list(pool.map(lambda n: click_once(base, code, n, tally), numbers))
    converting = [cid for cid in click_ids[::2] if cid]
    list(pool.map(lambda cid: callback_once(base, cid, tally), converting))


# Checks -------------------------------------------------------------------------------------


def wait_drained(cluster: Cluster, tally: Tally, timeout: float) -> bool:
    """Until the buffer and the callback spool are empty, the inbox processed, every redirected
    click stored and every postback owed sent."""
    client = cluster.stream_client()
    plain = redis.Redis(port=cluster.redis_port)
    deadline = time.monotonic() + timeout
    wanted = set(tally.redirected)
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError, psycopg.Error):
            stream_len = sum(client.xlen(key) for key in cluster.stream_keys())
            spooled = plain.xlen(cluster.env["CALLBACK_SPOOL_KEY"])
            with psycopg.connect(cluster.env["DATABASE_URL"]) as conn:
                stored = conn.execute(
                    "SELECT count(DISTINCT click_id) FROM tracking_click WHERE click_id = ANY(%s)",
                    [list(wanted)],
                ).fetchone()[0]
                backlog = conn.execute(
                    "SELECT count(*) FROM tracking_callbackinbox WHERE state = 'received'"
                ).fetchone()[0]
                postbacks = postbacks_outstanding(conn)
            if (stream_len, spooled, backlog, postbacks) == (0, 0, 0, 0) and stored == len(wanted):
                return True
        time.sleep(1)
    return False


def verify(cluster: Cluster, tally: Tally) -> tuple[dict[str, int], list[str]]:
    failures: list[str] = []
    with psycopg.connect(cluster.env["DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT click_id, count(*) FROM tracking_click WHERE click_id = ANY(%s) "
            "GROUP BY click_id",
            [tally.redirected],
        ).fetchall()
        per_click = dict(rows)
        clicks_total = conn.execute("SELECT count(*) FROM tracking_click").fetchone()[0]
        # By transaction id: a callback spooled while PostgreSQL was down had no inbox id yet.
        accepted_txns = [txn for _, _, txn in tally.accepted]
        inbox_rows = conn.execute(
            "SELECT params->>'txn_id', id, state, result FROM tracking_callbackinbox "
            "WHERE params->>'txn_id' = ANY(%s)",
            [accepted_txns],
        ).fetchall()
        inbox = {inbox_id: state for _, inbox_id, state, _ in inbox_rows}
        inbox_per_txn: dict[str, int] = {}
        for txn, _, _, _ in inbox_rows:
            inbox_per_txn[txn] = inbox_per_txn.get(txn, 0) + 1
        # A callback stored twice (its web node died after storing it, before answering, and
        # nginx sent it to the other node) is harmless if the extra row is refused as a duplicate.
        # Each such txn keeps one row that is not a duplicate (approved, pending...); every row
        # past that one must be. (It used to count the kept one too when it was pending.)
        kept: dict[str, list[int]] = {}
        for txn, inbox_id, _, result in sorted(inbox_rows, key=lambda row: row[1]):
            if inbox_per_txn[txn] > 1 and not (result or "").startswith("dup"):
                kept.setdefault(txn, []).append(inbox_id)
        extra_not_duplicate = [inbox_id for ids in kept.values() for inbox_id in ids[1:]]
        conversions_by_txn = dict(
            conn.execute(
                "SELECT advertiser_txn_id, count(*) FROM tracking_conversion "
                "WHERE status <> 'rejected' GROUP BY advertiser_txn_id"
            ).fetchall()
        )
        approved = conn.execute(
            "SELECT count(*) FROM tracking_conversion WHERE status = 'approved'"
        ).fetchone()[0]
        held = conn.execute(
            "SELECT count(*) FROM tracking_conversion WHERE status = 'pending'"
        ).fetchone()[0]
        ledger_mismatch = conn.execute(
            "SELECT c.id, count(l.id) FROM tracking_conversion c "
            "LEFT JOIN payouts_ledgerentry l ON l.conversion_id = c.id AND l.kind = 'earning' "
            "WHERE c.status = 'approved' GROUP BY c.id HAVING count(l.id) <> 1"
        ).fetchall()
        earnings = conn.execute(
            "SELECT count(*) FROM payouts_ledgerentry WHERE kind = 'earning'"
        ).fetchone()[0]
        results = dict(
            conn.execute(
                "SELECT result, count(*) FROM tracking_callbackinbox GROUP BY result"
            ).fetchall()
        )

    missing = [cid for cid in tally.redirected if cid not in per_click]
    duplicated = [cid for cid, n in per_click.items() if n > 1]
    if len(set(tally.redirected)) != len(tally.redirected):
        failures.append("the same click id was redirected twice")
    if missing:
        failures.append(f"{len(missing)} redirected clicks missing from PostgreSQL")
    if duplicated:
        failures.append(f"{len(duplicated)} redirected clicks stored more than once")
    lost = [txn for txn in accepted_txns if txn not in inbox_per_txn]
    if lost:
        failures.append(f"{len(lost)} accepted callbacks missing from the inbox")
    twice = [txn for txn, n in inbox_per_txn.items() if n > 1]
    if extra_not_duplicate:
        failures.append(
            f"{len(extra_not_duplicate)} extra inbox rows of accepted callbacks not refused as "
            "duplicates"
        )
    unprocessed = [i for i, state in inbox.items() if state == "received"]
    if unprocessed:
        failures.append(f"{len(unprocessed)} accepted callbacks never processed")
    txns = {txn for _, _, txn in tally.accepted}
    not_converted = [t for t in txns if conversions_by_txn.get(t, 0) != 1]
    if not_converted:
        failures.append(f"{len(not_converted)} accepted callbacks without exactly one conversion")
    if ledger_mismatch:
        failures.append(f"{len(ledger_mismatch)} approved conversions without exactly one earning")
    if held:
        # Nothing of the seeded offer holds (no cap, no manual approval, fraud rules flag only):
        # a held conversion is money that skipped the path this rehearsal proves.
        failures.append(f"{held} conversions held pending")
    counts = {
        "clicks sent": tally.clicks_sent,
        "clicks redirected": len(tally.redirected),
        "redirected clicks in PostgreSQL (distinct)": len(per_click),
        "redirected clicks missing": len(missing),
        "redirected clicks duplicated": len(duplicated),
        "click rows in PostgreSQL (all)": clicks_total,
        "  of which for requests nginx retried after a node died (visitor redirected once)": (
            clicks_total - len(per_click)
        ),
        "callbacks sent": tally.callbacks_sent,
        "callbacks accepted": len(tally.accepted),
        "callbacks accepted into the Redis spool (PostgreSQL down)": sum(
            1 for inbox_id, _, _ in tally.accepted if inbox_id is None
        ),
        "accepted callbacks in the inbox": len(inbox_per_txn),
        "accepted callbacks stored twice (node died before answering; nginx retried)": len(twice),
        "  of which the extra row was not refused as a duplicate": len(extra_not_duplicate),
        "accepted callbacks still unprocessed": len(unprocessed),
        "approved conversions": approved,
        "conversions held pending": held,
        "ledger earnings": earnings,
        "approved conversions without exactly one earning": len(ledger_mismatch),
    }
    counts.update({f"inbox result {k or '(none)'}": v for k, v in sorted(results.items())})
    return counts, failures


# Main ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    clicks: int = 1200
    kill_worker_every: float = 0.0  # 0: the quick run's single kill, halfway
    kill_web_every: float = 0.0
    redis_restarts: int = 1
    postgres_restarts: int = 0
    redis_cluster: bool = False
    shards: int = 0  # 0: one plain stream, or 6 on a cluster
    seed: int = 11

    @property
    def chaotic(self) -> bool:
        return bool(self.kill_worker_every or self.kill_web_every)


def base_env(workdir: Path, database_url: str, redis_port: int, options: Options) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "GRANIAN_", "CLICK_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        SECRET_KEY=secrets.token_urlsafe(50),
        CALLBACK_SECRET_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DEBUG="off",
        LOG_FORMAT="json",
        LOG_LEVEL="WARNING",
        AFFNET_VAR_DIR=str(workdir / "var"),
        CLICK_IP_HEADER="X-Real-IP",
        CLICK_STREAM_KEY="affnet:clicks",
        # A dead ingester's entries are claimed back quickly, so the drain is short.
        CLICK_STREAM_CLAIM_IDLE_MS="3000",
        CALLBACK_SPOOL_KEY="{affnet:callback-spool}",
        CALLBACK_SPOOL_CLAIM_IDLE_MS="3000",
        ATTRIBUTION_CLICK_WAIT_SECONDS="300",
        API_KEY_THROTTLE_RATE="",
        # The publisher's postback server is on loopback; a failed call is retried in seconds.
        POSTBACK_ALLOW_LOOPBACK="on",
        POSTBACK_RETRY_BASE_SECONDS="2",
        PYTHONUNBUFFERED="1",
        # This checkout's code, even when the virtualenv's editable install names another one
        # (a snapshot of the tree rehearsed while the main checkout changes).
        PYTHONPATH=str(ROOT),
    )
    if options.shards:
        env["CLICK_STREAM_SHARDS"] = str(options.shards)
    return env


@contextlib.contextmanager
def cluster_up(workdir: Path, options: Options) -> Iterator[Cluster]:
    with throwaway_postgres(workdir) as database_url:
        redis_port = free_port()
        cluster = Cluster(
            workdir=workdir,
            env=base_env(workdir, database_url, redis_port, options),
            redis_port=redis_port,
            nginx_port=free_port(),
            web_ports=[free_port(), free_port()],
        )
        if options.chaotic:
            # A restarted node is tried again after this long, not after nginx's 30 s default.
            cluster.fail_timeout = 2
        (workdir / "logs").mkdir()
        try:
            redis_start(cluster)
            if options.redis_cluster:
                cluster.redis_nodes = RedisClusterNodes(workdir, ensure_redis_server()).start()
                cluster.env.update(
                    CLICK_REDIS_MODE="cluster",
                    CLICK_REDIS_CLUSTER_URL=",".join(cluster.redis_nodes.urls),
                    CLICK_STREAM_SHARDS=str(options.shards or 6),
                )
            say("migrating")
            manage(cluster, "migrate", "--noinput", "-v", "0")
            yield cluster
        finally:
            cluster.stop_all()


def beat_start(cluster: Cluster) -> Proc:
    return cluster.spawn(
        "beat",
        [
            str(BIN / "celery"),
            "--app",
            "config",
            "beat",
            "--schedule",
            str(cluster.workdir / "celerybeat-schedule"),
            "--loglevel",
            "WARNING",
        ],
    )


def restart(cluster: Cluster, name: str) -> None:
    """Start a killed process again, as systemd's Restart=always would."""
    if name.startswith("web"):
        with contextlib.suppress(RuntimeError):  # port not back in 60 s: the next kill retries
            web_start(cluster, int(name[3:]) - 1)
    else:
        worker_start(cluster, name)


def traffic_quick(cluster: Cluster, code: str, options: Options, tally: Tally) -> FaultCounts:
    """The default run: kill one web node and one worker halfway, restart Redis once."""
    faults = FaultCounts()
    clicks = options.clicks
    half, three_quarters = clicks // 2, clicks * 3 // 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        drive(cluster.base, code, range(0, half), tally, pool)
        say(f"halfway ({len(tally.redirected)} redirected): kill -9 web1 and ingest1")
        cluster.procs["web1"].kill()
        cluster.procs["ingest1"].kill()
        faults.kill_noted("web1", web=True)
        faults.kill_noted("ingest1", web=False)
        drive(cluster.base, code, range(half, three_quarters), tally, pool)
        restarter = None
        if options.redis_restarts:
            say("restarting Redis while traffic flows")
            restarter = threading.Thread(
                target=lambda: say(f"Redis back after {redis_restart(cluster):.1f}s")
            )
            restarter.start()
            faults.redis_restarts += 1
            faults.cluster_node_restarts += int(cluster.redis_nodes is not None)
        drive(cluster.base, code, range(three_quarters, clicks), tally, pool)
        if restarter is not None:
            restarter.join()
    return faults


def traffic_chaotic(cluster: Cluster, code: str, options: Options, tally: Tally) -> FaultCounts:
    """Traffic in chunks, with the chaos clock running and Redis and PostgreSQL restarted at
    evenly spread points of the run (never two at once)."""
    faults = FaultCounts()
    events: list[tuple[float, str]] = [
        ((k + 1) / (options.redis_restarts + 1), "redis") for k in range(options.redis_restarts)
    ]
    events += [
        ((k + 1) / (options.postgres_restarts + 1) + 0.05, "postgres")
        for k in range(options.postgres_restarts)
    ]
    events.sort()
    chaos = Chaos(
        workers=list(cluster.workers),
        webs=["web1", "web2"],
        worker_every=options.kill_worker_every,
        web_every=options.kill_web_every,
        kill=cluster.kill,
        restart=lambda name: restart(cluster, name),
        counts=faults,
        say=say,
        seed=options.seed,
    )

    def fault(kind: str) -> None:
        if kind == "redis":
            seconds = redis_restart(cluster, faults.redis_restarts)
            faults.redis_restarts += 1
            faults.cluster_node_restarts += int(cluster.redis_nodes is not None)
            say(f"Redis back after {seconds:.1f}s")
        else:
            seconds = postgres_restart()
            faults.postgres_restarts += 1
            say(f"PostgreSQL back after {seconds:.1f}s")

    chunk = 1000
    running: threading.Thread | None = None
    chaos.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            for start in range(0, options.clicks, chunk):
                done = start / options.clicks
                if events and done >= events[0][0] and (running is None or not running.is_alive()):
                    _at, kind = events.pop(0)
                    say(f"{start} clicks sent: restarting {kind} while traffic flows")
                    running = threading.Thread(target=fault, args=(kind,))
                    running.start()
                drive_interleaved(
                    cluster.base,
                    code,
                    range(start, min(start + chunk, options.clicks)),
                    tally,
                    pool,
                )
                say(
                    f"{len(tally.redirected)} redirected, {len(tally.accepted)} callbacks "
                    f"accepted; kills: {faults.worker_kills} workers, {faults.web_kills} web"
                )
            if running is not None:
                running.join()
            for _at, kind in events:  # a run too short to reach them
                fault(kind)
    finally:
        chaos.stop()
    return faults


def rehearse(options: Options, workdir: Path) -> tuple[int, bool]:
    """(exit status, whether any request was turned away)."""
    with cluster_up(workdir, options) as cluster, PostbackReceiver() as receiver:
        code = seed(cluster, receiver)
        for index in range(2):
            web_start(cluster, index)
        for name in cluster.workers:
            worker_start(cluster, name)
        beat_start(cluster)
        nginx_start(cluster)
        say(
            f"up: nginx :{cluster.nginx_port} -> web :{cluster.web_ports[0]} "
            f":{cluster.web_ports[1]}, workers {', '.join(cluster.workers)} + beat, "
            f"Redis :{cluster.redis_port}"
            + (
                f", click buffer on Redis Cluster :{' :'.join(map(str, cluster.redis_nodes.ports))}"
                f" ({len(cluster.stream_keys())} shards)"
                if cluster.redis_nodes
                else ""
            )
        )

        tally = Tally()
        started = time.monotonic()
        traffic = traffic_chaotic if options.chaotic else traffic_quick
        faults = traffic(cluster, code, options, tally)
        refused = list(tally.refused_clicks)
        if refused:
            # What an advertiser that retries would do; most do not (issue 11).
            say(f"sending the {len(refused)} refused callbacks again")
            tally.refused_clicks.clear()
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda cid: callback_once(cluster.base, cid, tally), refused))
        say(f"traffic done in {time.monotonic() - started:.1f}s; draining")
        # Postbacks whose messages died with their workers wait for the sweep (every 30 s,
        # 500 at a time): after a hard run, thousands of them.
        timeout = 1500 if options.chaotic else 240
        drained = wait_drained(cluster, tally, timeout=timeout)
        counts, failures = verify(cluster, tally)
        with psycopg.connect(cluster.env["DATABASE_URL"]) as conn:
            more, more_failures = money_and_reports(conn, receiver, POSTBACK_TEMPLATES)
        counts.update(more)
        failures.extend(more_failures)
        if cluster.redis_nodes is not None:
            client = cluster.stream_client()
            added = [client.xinfo_stream(key)["entries-added"] for key in cluster.stream_keys()]
            counts["clicks appended per stream shard"] = added  # type: ignore[assignment]
        counts.update(
            {
                "callbacks refused (sent again afterwards)": len(refused),
                "workers SIGKILLed": faults.worker_kills,
                "web nodes SIGKILLed": faults.web_kills,
                "  web kills postponed a second (the node killed before still starting)": (
                    faults.web_kills_postponed
                ),
                "Redis restarts": faults.redis_restarts,
                "Redis Cluster primary restarts": faults.cluster_node_restarts,
                "PostgreSQL restarts": faults.postgres_restarts,
                "seconds of traffic and faults": round(time.monotonic() - started),
            }
        )
        if faults.killed:
            counts["kills by process"] = dict(sorted(faults.killed.items()))  # type: ignore[assignment]
        if not drained:
            failures.append(f"the cluster did not drain within {timeout} s")
        if tally.click_errors:
            counts.update({f"click not redirected: {k}": v for k, v in tally.click_errors.items()})
        if tally.callback_errors:
            counts.update(
                {f"callback not accepted: {k}": v for k, v in tally.callback_errors.items()}
            )

    width = max(len(name) for name in counts)
    print()
    for name, value in counts.items():
        print(f"  {name:<{width}}  {value}")
    print()
    if tally.click_errors:
        # The design's first invariant: a visitor who follows a valid link is redirected, even
        # while a node dies or Redis restarts (nginx retries the next node; Redis down means a
        # direct write).
        failures.append(f"visitors not redirected: {tally.click_errors}")
    if tally.callback_errors:
        # A callback turned away is retried by the advertiser, so nothing is lost; worth a look.
        print(f"WARN: callbacks not accepted: {tally.callback_errors} (logs: {workdir / 'logs'})")
    if failures:
        for failure in failures:
            print(f"FAIL: {failure}")
        print(f"logs: {workdir / 'logs'}")
        return 1, True
    print(
        "PASS: every redirected click and accepted callback is in PostgreSQL exactly once; "
        "every approved conversion has exactly one ledger earning and one postback per "
        "template; every report adds up to the rows it counts."
    )
    return 0, bool(tally.callback_errors)


HARD = Options(
    clicks=20_000,
    kill_worker_every=5,
    kill_web_every=15,
    redis_restarts=2,
    postgres_restarts=1,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--hard",
        action="store_true",
        help="20,000 clicks, a worker killed every 5 s and a web node every 15 s, Redis "
        "restarted twice and PostgreSQL once (the options below override it)",
    )
    parser.add_argument("--clicks", type=int, help="clicks to send (a callback every second)")
    parser.add_argument("--kill-worker-every", type=float, help="seconds; 0: once, halfway")
    parser.add_argument("--kill-web-every", type=float, help="seconds")
    parser.add_argument("--redis-restarts", type=int)
    parser.add_argument("--postgres-restarts", type=int)
    parser.add_argument(
        "--redis-cluster",
        action="store_true",
        help="the click buffer and repeat markers on a local three-primary Redis Cluster",
    )
    parser.add_argument("--shards", type=int, help="click stream shards (default 1, or 6)")
    parser.add_argument("--seed", type=int, help="for the choice of worker to kill")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs)")
    args = parser.parse_args()
    base = HARD if args.hard else Options()
    chosen = {
        name: getattr(args, name)
        for name in (
            "clicks",
            "kill_worker_every",
            "kill_web_every",
            "redis_restarts",
            "postgres_restarts",
            "shards",
            "seed",
        )
        if getattr(args, name) is not None
    }
    options = Options(**{**base.__dict__, **chosen, "redis_cluster": args.redis_cluster})
    workdir = Path(tempfile.mkdtemp(prefix="affnet-rehearse-"))
    say(f"options: {options}")
    status, turned_away = rehearse(options, workdir)
    # Logs are kept when something failed or was turned away (the path is printed), or asked.
    if status == 0 and not args.keep and not turned_away:
        shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
