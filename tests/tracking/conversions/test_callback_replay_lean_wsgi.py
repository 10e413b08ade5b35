"""Replay keys and header tokens on the production path: the lean WSGI handler, outside any
transaction, where inbox inserts go through the group commit (tracking/callbacks/store.py)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from tests.tracking.conversions.conftest import SECRET, world_build
from tests.tracking.conversions.signing import (
    KNOWN_CLICK_ID,
    KNOWN_TIMESTAMP,
    KNOWN_V2_KAT_1,
    signed_v2,
)
from tests.tracking.conversions.test_callback_fast_wsgi import serve
from tracking.callbacks.wsgi import callback_paths_first
from tracking.models import CallbackInbox, CallbackReplayKey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lean_only():
    def django_app(environ, start_response):
        raise AssertionError(f"Django was asked for {environ['PATH_INFO']}")

    return callback_paths_first(django_app)


def _signature(params: dict) -> dict:
    # Signed by Python's hmac module (tests/tracking/conversions/signing.py), never by the code
    # under test.
    return signed_v2("/postback", params, secret=SECRET)


def test_the_lean_handler_accepts_the_known_answer_signature_and_not_one_digit_off(lean_only):
    """A v2 signature typed in as a literal (computed once by hand), at its moment."""
    with time_machine.travel(KNOWN_TIMESTAMP + 5, tick=False):
        world = world_build()
        world.new_click(click_id=KNOWN_CLICK_ID, created_at=datetime.now(UTC))
        params = {"click_id": KNOWN_CLICK_ID, "goal": "sale", "txn_id": "kat-1"}
        headers = {"HTTP_X_AFFNET_TIMESTAMP": str(KNOWN_TIMESTAMP)}
        wrong = KNOWN_V2_KAT_1[:-1] + ("0" if KNOWN_V2_KAT_1[-1] != "0" else "1")
        status, _, body = serve(
            lean_only, "/postback", params, HTTP_X_AFFNET_SIGNATURE=f"v2={wrong}", **headers
        )
        assert status == 403 and b"bad_signature" in body
        status, _, body = serve(
            lean_only,
            "/postback",
            params,
            HTTP_X_AFFNET_SIGNATURE=f"v2={KNOWN_V2_KAT_1}",
            **headers,
        )
        assert status == 200, body
    assert CallbackInbox.objects.filter(params__txn_id="kat-1", state="received").count() == 1


def test_the_lean_handler_takes_the_token_from_the_header(lean_only):
    world = world_build()
    params = {"click_id": world.click.click_id, "goal": "sale"}
    status, _, _ = serve(lean_only, "/postback", params, HTTP_X_AFFNET_TOKEN=SECRET)
    assert status == 200
    status, _, body = serve(lean_only, "/postback", params, HTTP_X_AFFNET_TOKEN="guess")
    assert status == 403 and b"bad_token" in body


def test_the_lean_handler_refuses_a_replay_and_commits_the_first(lean_only):
    world = world_build()
    params = {"click_id": world.click.click_id, "goal": "sale", "txn_id": "lean-1"}
    headers = _signature(params)
    assert serve(lean_only, "/postback", params, **headers)[0] == 200
    status, _, body = serve(lean_only, "/postback", params, **headers)
    assert status == 409 and b"replayed" in body
    assert CallbackInbox.objects.count() == 1
    assert CallbackReplayKey.objects.get().advertiser_id == world.advertiser.id


@pytest.mark.skipif(connection.vendor != "postgresql", reason="group commit is PostgreSQL's")
def test_concurrent_copies_of_one_signed_callback_store_one_row_and_spare_the_others(lean_only):
    """Eight copies of one signed callback race with eight distinct ones: one copy is stored,
    seven answered 409, and every distinct callback is stored."""
    world = world_build()
    copy = {"click_id": world.click.click_id, "goal": "sale", "txn_id": "race"}
    copy_headers = _signature(copy)
    requests = [(copy, copy_headers)] * 8
    for n in range(8):
        params = {"click_id": world.click.click_id, "goal": "sale", "txn_id": f"other-{n}"}
        requests.append((params, _signature(params)))

    def send(request):
        params, headers = request
        try:
            return serve(lean_only, "/postback", params, **headers)[0]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(send, requests))
    assert sorted(statuses[:8]) == [200] + [409] * 7
    assert statuses[8:] == [200] * 8
    assert CallbackInbox.objects.count() == 9
    assert CallbackReplayKey.objects.count() == 9
    assert CallbackInbox.objects.filter(params__txn_id="race").count() == 1
