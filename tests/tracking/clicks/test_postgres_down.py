"""PostgreSQL stopped while visitors click: they are still redirected, and every click lands
once PostgreSQL is back. The production pieces run as they do in production, as subprocesses:
the granian server with the lean handler, and the ingester, against a throwaway PostgreSQL of
this test's own (scripts/with_services.py; its schema copied from the worker's migrated test
database) and the test run's Redis, on a stream of its own."""

import http.client
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
# Upper bounds for subprocesses and restarts (they return as soon as done): generous, since the
# other pytest-xdist worker and other jobs may load the machine meanwhile.
START_SECONDS = 300
SEED = """
from offers.models import Advertiser, Offer
from affiliates.models import Publisher
from tracking.models import TrackingLink
offer = Offer.objects.create(advertiser=Advertiser.objects.create(name="A"), name="O",
                             landing_url="https://shop.example/land?cid={click_id}")
publisher = Publisher.objects.create(name="P", status="active")
TrackingLink.objects.create(code="pgDownLink01", offer=offer, publisher=publisher)
"""
INGEST = """
import django; django.setup()
from tracking.clicks.ingest import clicks_ingest
print("INSERTED", clicks_ingest(max_seconds=20).inserted)
"""
COUNT = """
from tracking.models import Click
print("CLICKS", Click.objects.count(), Click.objects.values("click_id").distinct().count())
"""


def _services():
    spec = importlib.util.spec_from_file_location(
        "with_services", ROOT / "scripts/with_services.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _click(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/c/pgDownLink01?sub1=x", headers={"User-Agent": "Mozilla/5.0"})
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 302, response.status
    assert urlsplit(response.getheader("Location")).hostname == "shop.example"
    return response.getheader("Set-Cookie").split(";", 1)[0].split("=", 1)[1]


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_SECONDS,
    )


def _pg_ctl(*args: str) -> None:
    services = _services()
    subprocess.run(
        [
            *services.as_user_prefix(),
            str(Path(os.environ["PG_BINDIR"]) / "pg_ctl"),
            "-D",
            os.environ["PG_DATADIR"],
            *args,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=START_SECONDS,
    )


def _schema_copy(database_url: str) -> None:
    """The throwaway database gets the schema of this worker's test database, which is migrated
    already (pg_dump | psql: a second or two, where `manage.py migrate` takes some 20 s of CPU).
    The schema only, no rows: the test database's contents belong to other tests (they roll back
    or flush), and SEED writes every row the click path needs. Both are client programs, fine as
    root; only the server runs as `nobody`."""
    source = connection.settings_dict
    target = urlsplit(database_url)
    bindir = Path(os.environ["PG_BINDIR"])
    dump = subprocess.Popen(
        [
            str(bindir / "pg_dump"),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "-h",
            source["HOST"] or "127.0.0.1",
            "-p",
            str(source["PORT"] or 5432),
            "-U",
            source["USER"],
            source["NAME"],
        ],
        env={**os.environ, "PGPASSWORD": source["PASSWORD"] or ""},
        stdout=subprocess.PIPE,
    )
    restored = subprocess.run(
        [
            str(bindir / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(target.hostname),
            "-p",
            str(target.port),
            "-U",
            str(target.username),
            "-d",
            target.path.lstrip("/"),
        ],
        stdin=dump.stdout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=START_SECONDS,
    )
    assert dump.stdout is not None
    dump.stdout.close()
    assert restored.returncode == 0, restored.stderr
    assert dump.wait(START_SECONDS) == 0


def test_visitors_are_redirected_while_postgresql_is_down_and_their_clicks_land_after(settings, db):
    """`db`: only so that this worker's test database exists to copy the schema from."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    services = _services()
    saved = {key: os.environ.get(key) for key in ("PG_BINDIR", "PG_DATADIR", "PG_CTL_OPTIONS")}
    # Not pytest's tmp_path: PostgreSQL runs as `nobody` when we are root, and pytest's base
    # folder is private to root.
    workdir = tempfile.TemporaryDirectory(prefix="affnet-pgdown-")
    tmp_path = Path(workdir.name)
    try:
        with services.throwaway_postgres(tmp_path) as database_url:
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "REDIS_URL": settings.REDIS_URL,
                "SECRET_KEY": "test-only-secret-key-" + "x" * 40,
                "DEBUG": "0",
                "ALLOWED_HOSTS": "127.0.0.1",
                "AFFNET_VAR_DIR": str(tmp_path / "var"),
                "CLICK_STREAM_KEY": f"affnet:test-pgdown:{uuid.uuid4().hex}",
                "CLICK_LINK_CACHE_SECONDS": "1",
                "CLICK_STREAM_CLAIM_IDLE_MS": "0",
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "PYTHONPATH": str(ROOT),
            }
            _schema_copy(database_url)
            assert _manage(env, "shell", "-c", SEED).returncode == 0
            port = services.free_port()
            server = subprocess.Popen(
                [
                    str(BIN / "granian"),
                    "--interface",
                    "wsgi",
                    "--port",
                    str(port),
                    "--workers",
                    "1",
                    "--blocking-threads",
                    "2",
                    "--no-ws",
                    "--log-level",
                    "error",
                    "config.wsgi:application",
                ],
                cwd=ROOT,
                env=env,
            )
            try:
                services.wait_for_port(port)
                before = [_click(port) for _ in range(5)]

                _pg_ctl("-m", "fast", "stop")
                time.sleep(1.2)  # the link snapshot is stale now: rebuilding it would need PG
                during = [_click(port) for _ in range(20)]
                failed = subprocess.run(
                    [str(BIN / "python"), "-c", INGEST],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=START_SECONDS,
                )
                assert failed.returncode != 0  # the ingester cannot write: clicks wait

                _pg_ctl(
                    "-o",
                    os.environ["PG_CTL_OPTIONS"],
                    "-l",
                    str(tmp_path / "pg2.log"),
                    "-w",
                    "-t",
                    str(START_SECONDS),
                    "start",
                )
                after = [_click(port) for _ in range(5)]
                ingested = subprocess.run(
                    [str(BIN / "python"), "-c", INGEST],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=START_SECONDS,
                )
                assert ingested.returncode == 0, ingested.stderr
                counted = _manage(env, "shell", "-c", COUNT).stdout
                sent = len({*before, *during, *after})
                assert sent == 30
                assert f"CLICKS {sent} {sent}" in counted, counted
            finally:
                server.terminate()
                server.wait(10)
                import redis

                redis.Redis.from_url(settings.REDIS_URL).delete(
                    env["CLICK_STREAM_KEY"], env["CLICK_STREAM_KEY"] + ":dead"
                )
    finally:
        workdir.cleanup()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
