"""/healthz says the process is alive; /readyz says whether this node can do its whole job."""

import json
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.test import override_settings

from core.metrics import redis_client
from scripts.with_services import free_port
from tests import factories


def test_healthz_answers_ok_without_touching_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405


def test_readyz_is_ready_when_postgresql_and_redis_answer_and_backlogs_are_small(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "redis", "click_stream", "inbox_backlog"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.fixture
def click_stream():
    """A stream key of this test's own, so the shared Redis db's real stream is left alone."""
    key = f"test:clicks:{uuid.uuid4().hex}"
    with override_settings(CLICK_STREAM_KEY=key, CLICK_STREAM_GROUP="ingest"):
        yield key
    redis_client().delete(key)


def test_readyz_tolerates_a_click_stream_that_does_not_exist(client, db, click_stream):
    check = client.get("/readyz").json()["checks"]["click_stream"]
    assert check["ok"] is True
    assert check["lag"] == 0
    assert check["detail"] == "stream not created yet"


@override_settings(READY_MAX_CLICK_STREAM_LAG=2)
def test_readyz_is_unavailable_when_the_click_stream_lags_past_its_threshold(
    client, db, click_stream
):
    r = redis_client()
    r.xgroup_create(click_stream, "ingest", id="0", mkstream=True)
    for n in range(3):
        r.xadd(click_stream, {"n": n})
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["click_stream"]["ok"] is False
    assert body["checks"]["click_stream"]["lag"] == 3

    # The ingester reads them: no longer lagging (pending until acknowledged).
    r.xreadgroup("ingest", "worker-1", {click_stream: ">"}, count=10)
    check = client.get("/readyz").json()["checks"]["click_stream"]
    assert check == {**check, "ok": True, "lag": 0, "pending": 3}


@override_settings(READY_MAX_INBOX_BACKLOG=1)
def test_readyz_is_unavailable_when_the_inbox_backlog_passes_its_threshold(client, db):
    factories.CallbackInboxFactory()
    assert client.get("/readyz").status_code == 200
    factories.CallbackInboxFactory()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["inbox_backlog"] == {
        **response.json()["checks"]["inbox_backlog"],
        "ok": False,
        "backlog": 2,
        "threshold": 1,
    }


PROBE = """
import json, django
django.setup()
from django.test import Client
c = Client()
print(json.dumps({
    "healthz": c.get("/healthz").status_code,
    "readyz": c.get("/readyz").status_code,
    "body": c.get("/readyz").json(),
}))
"""


def test_readyz_names_each_failing_check_when_postgresql_and_redis_are_down():
    """Nothing listens on the ports: both are down, and the node says which, with 503."""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/nothing",
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,  # an upper bound (it returns when done) for a loaded machine
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["healthz"] == 200
    assert result["readyz"] == 503
    checks = result["body"]["checks"]
    assert checks["database"]["ok"] is False
    assert checks["redis"]["ok"] is False
    assert checks["click_stream"]["ok"] is False
    assert checks["inbox_backlog"]["ok"] is False
    assert "error" in checks["database"]
