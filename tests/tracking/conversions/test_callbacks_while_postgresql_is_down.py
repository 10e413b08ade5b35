"""Callbacks during a PostgreSQL outage: accepted into the Redis spool, drained into the inbox
once PostgreSQL is back, attributed, each exactly once; refused 503 only when Redis is down too.

The outage is real for the request path: this thread's database connection is pointed at a
port nothing listens on, so every statement the endpoint tries fails to connect, as it does
while PostgreSQL restarts. Requests go through the lean production handler
(tracking/callbacks/wsgi.py) and, once, through Django's own view.
"""

import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from django.db import connections
from django.test import Client
from django.utils import timezone

from tests.tracking.conversions.conftest import SECRET, drain, world_build
from tests.tracking.conversions.test_callback_fast_wsgi import serve
from tracking.callbacks import selectors, spool
from tracking.callbacks.auth import canonical_request, signature_v2_compute
from tracking.callbacks.drain import callback_spool_drain, spool_entries_store
from tracking.callbacks.views import PIXEL_GIF
from tracking.callbacks.wsgi import callback_paths_first
from tracking.models import CallbackInbox, Conversion
from tracking.tasks.callback_spool import callback_spool_drain_task

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def postgresql_down() -> Iterator[None]:
    """Every statement on this thread's connection fails to connect until the block ends."""
    connection = connections["default"]
    saved = connection.settings_dict
    connection.close()
    connection.settings_dict = {**saved, "HOST": "127.0.0.1", "PORT": str(_closed_port())}
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict = saved


@pytest.fixture(autouse=True)
def own_spool(settings):
    """A spool stream of this test's own; no advertiser settings in this process's memory."""
    if not settings.REDIS_URL or connections["default"].vendor != "postgresql":
        pytest.skip("the spool needs Redis and PostgreSQL")
    settings.CALLBACK_SPOOL_KEY = "{affnet:test-spool-" + uuid.uuid4().hex + "}"
    settings.CALLBACK_SPOOL_CLAIM_IDLE_MS = 30_000
    selectors._by_offer.clear()
    spool.spool_client_reset()
    yield
    spool.spool_client_reset()
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(*client.keys(settings.CALLBACK_SPOOL_KEY + "*") or ["-"])


@pytest.fixture
def lean():
    def django_app(environ, start_response):
        raise AssertionError(f"Django was asked for {environ['PATH_INFO']}")

    return callback_paths_first(django_app)


def _signed(params: dict) -> dict:
    timestamp = str(int(time.time()))
    canonical = canonical_request(method="GET", path="/postback", params=list(params.items()))
    signature = signature_v2_compute(secret=SECRET, timestamp=timestamp, canonical=canonical)
    return {"HTTP_X_AFFNET_TIMESTAMP": timestamp, "HTTP_X_AFFNET_SIGNATURE": f"v2={signature}"}


def _spool_length() -> int:
    return spool.spool_length(client=spool.spool_client())


def test_a_callback_while_postgresql_is_down_is_spooled_drained_and_attributed_once(lean):
    world = world_build()
    params = {"click_id": world.click.click_id, "goal": "sale", "txn_id": "OUT-1", "token": SECRET}
    with postgresql_down():
        before = timezone.now()
        status, _, body = serve(lean, "/postback", params)
        after = timezone.now()
    assert status == 200, body
    assert body == b'{"status": "accepted", "id": null, "spooled": true}'
    assert CallbackInbox.objects.count() == 0
    assert _spool_length() == 1

    outcome = callback_spool_drain()
    assert (outcome.read, outcome.stored) == (1, 1)
    row = CallbackInbox.objects.get()
    # Nothing this process knew about the advertiser: its credentials wait for attribution.
    assert row.auth_deferred and row.advertiser_id is None and row.spool_id
    assert "token" not in row.params and row.headers["_token_sha256"]
    # It arrived when it was accepted, not when it was drained (windows, signature freshness).
    assert before <= row.received_at <= after
    assert _spool_length() == 0

    drain()
    conversion = Conversion.objects.get()
    assert conversion.inbox_id == row.id and conversion.status == "approved"
    assert callback_spool_drain().read == 0
    assert CallbackInbox.objects.count() == 1 and Conversion.objects.count() == 1


def test_a_wrong_token_spooled_during_the_outage_is_refused_by_attribution(lean):
    world = world_build()
    params = {"click_id": world.click.click_id, "goal": "sale", "token": "a-guess"}
    with postgresql_down():
        status, _, body = serve(lean, "/postback", params)
    assert status == 200 and b'"spooled": true' in body
    callback_spool_drain()
    drain()
    assert CallbackInbox.objects.get().result == "bad_token"
    assert Conversion.objects.count() == 0


def test_a_callback_without_any_credential_is_refused_at_the_door_during_the_outage(lean):
    world = world_build()
    with postgresql_down():
        status, _, body = serve(lean, "/postback", {"click_id": world.click.click_id})
    assert status == 403 and b"missing_auth" in body
    assert _spool_length() == 0


def test_advertiser_settings_fresh_in_memory_authenticate_at_the_door_during_the_outage(lean):
    world = world_build()
    selectors.advertiser_auth_for_offer(offer_id=world.offer.id)  # as a recent callback did
    base = {"click_id": world.click.click_id, "goal": "sale", "offer_id": str(world.offer.id)}
    with postgresql_down():
        refused = serve(lean, "/postback", {**base, "token": "a-guess"})
        accepted = serve(lean, "/postback", {**base, "token": SECRET, "txn_id": "OUT-2"})
    assert refused[0] == 403 and b"bad_token" in refused[2]
    assert accepted[0] == 200 and b'"spooled": true' in accepted[2]
    assert _spool_length() == 1  # the refused one is answered, not kept

    callback_spool_drain()
    row = CallbackInbox.objects.get()
    assert row.advertiser_id == world.advertiser.id and not row.auth_deferred
    drain()
    assert Conversion.objects.get().status == "approved"


def test_a_drain_that_dies_between_its_insert_and_its_ack_stores_nothing_twice(lean, settings):
    world = world_build()
    clicks = [world.click, world.new_click(), world.new_click()]
    with postgresql_down():
        for index, click in enumerate(clicks):
            params = {"click_id": click.click_id, "goal": "sale", "token": SECRET}
            assert serve(lean, "/postback", {**params, "txn_id": f"CR-{index}"})[0] == 200
    client = spool.spool_client()
    spool.spool_group_ensure(client=client)
    entries = spool.spool_read_new(client=client, consumer="dies", count=10)
    assert len(entries) == 3
    assert spool_entries_store(entries=entries).stored == 3
    # ... and the drain dies here, before its XACK: the entries are still pending.

    settings.CALLBACK_SPOOL_CLAIM_IDLE_MS = 0
    outcome = callback_spool_drain()
    assert (outcome.read, outcome.stored, outcome.already) == (3, 0, 3)
    assert callback_spool_drain().read == 0
    assert _spool_length() == 0
    drain()
    assert CallbackInbox.objects.count() == 3
    assert sorted(Conversion.objects.values_list("advertiser_txn_id", flat=True)) == [
        "CR-0",
        "CR-1",
        "CR-2",
    ]


def test_a_signature_replayed_during_the_outage_is_refused_409(lean):
    world = world_build()
    params = {"click_id": world.click.click_id, "goal": "sale", "txn_id": "SIG-1"}
    headers = _signed(params)
    with postgresql_down():
        first = serve(lean, "/postback", params, **headers)
        again = serve(lean, "/postback", params, **headers)
    assert first[0] == 200 and b'"spooled": true' in first[2]
    assert again[0] == 409 and b"replayed" in again[2]
    callback_spool_drain()
    drain()
    assert CallbackInbox.objects.count() == 1
    assert Conversion.objects.get().status == "approved"


def test_a_signature_stored_before_the_outage_and_replayed_during_it_is_dropped_at_drain(lean):
    world = world_build()
    params = {"click_id": world.click.click_id, "goal": "sale", "txn_id": "SIG-2"}
    headers = _signed(params)
    assert serve(lean, "/postback", params, **headers)[0] == 200
    with postgresql_down():
        # The spool cannot see PostgreSQL's replay keys: accepted here, deduplicated below.
        assert serve(lean, "/postback", params, **headers)[0] == 200
    outcome = callback_spool_drain()
    assert (outcome.stored, outcome.replayed) == (0, 1)
    assert CallbackInbox.objects.count() == 1


def test_the_drain_task_waits_while_postgresql_is_still_down_and_loses_nothing(lean):
    world = world_build()
    params = {"click_id": world.click.click_id, "goal": "sale", "token": SECRET}
    with postgresql_down():
        assert serve(lean, "/postback", params)[0] == 200
        assert callback_spool_drain_task() == 0
    assert _spool_length() == 1
    # The failed run read nothing, so nothing waits for a claim: the next run takes it at once.
    assert callback_spool_drain_task() == 1
    assert CallbackInbox.objects.count() == 1 and _spool_length() == 0


def test_djangos_own_view_spools_too_and_tune_answers_success(lean):
    world = world_build()
    with postgresql_down():
        response = Client().get(
            "/postback", {"click_id": world.click.click_id, "goal": "sale", "token": SECRET}
        )
        tune = serve(
            lean, "/aff_lsr", {"transaction_id": world.click.click_id, "security_token": SECRET}
        )
    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "id": None, "spooled": True}
    assert tune[0] == 200 and tune[2] == b"success=true;"
    assert callback_spool_drain().stored == 2


def test_a_pixel_while_postgresql_is_down_still_answers_its_gif_and_is_kept(lean):
    world = world_build()
    with postgresql_down():
        status, _, body = serve(
            lean, "/p/sale.gif", {"click_id": world.click.click_id}, HTTP_REFERER="https://x.test/"
        )
    assert status == 200 and body == PIXEL_GIF
    callback_spool_drain()
    assert CallbackInbox.objects.get().dialect == "pixel"


@pytest.fixture
def redis_down_too():
    spool.spool_client()  # made while Redis was up, as in a running web process
    spool._client = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    spool._append = spool._client.register_script(spool.APPEND_LUA)
    yield
    spool.spool_client_reset()


def test_with_redis_down_too_a_callback_is_answered_503_and_nothing_is_accepted(
    lean, redis_down_too
):
    world = world_build()
    params = {"click_id": world.click.click_id, "goal": "sale", "token": SECRET}
    with postgresql_down():
        status, headers, body = serve(lean, "/postback", params)
        tune = serve(
            lean, "/aff_lsr", {"transaction_id": world.click.click_id, "security_token": SECRET}
        )
        pixel = serve(lean, "/p/sale.gif", {"click_id": world.click.click_id})
    assert status == 503
    assert headers["Content-Type"] == "application/json"
    assert b'"code": "temporarily_unavailable"' in body
    assert tune[0] == 503 and tune[2].startswith(b"success=false;")
    assert pixel[0] == 200 and pixel[2] == PIXEL_GIF
    assert CallbackInbox.objects.count() == 0
