"""Rate limits on the callback and pixel paths, counted in the real Redis of the test run:
unauthenticated and failed callbacks per client address, authenticated ones per advertiser,
pixels per address; and the limiter admits everything when Redis cannot be reached."""

import logging

import pytest
from django.test import Client

from tests.tracking.conversions.conftest import SECRET, world_build
from tests.tracking.conversions.test_callback_fast_wsgi import serve
from tracking.callbacks.limits import limits_reset
from tracking.callbacks.views import PIXEL_GIF
from tracking.clicks import buffer
from tracking.clicks.ids import click_id_new
from tracking.models import CallbackInbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def needs_redis(settings):
    if not settings.REDIS_URL:
        pytest.skip("the limiter counts in Redis; the embedded mode has none")


@pytest.fixture
def app():
    from config.wsgi import application

    return application


def _retry_after(value: str) -> int:
    seconds = int(value)
    assert 1 <= seconds <= 60
    return seconds


def test_failed_auth_from_one_address_is_answered_429_after_the_limit_and_stores_nothing(
    settings,
):
    settings.CALLBACK_RATE_ADDRESS = "3/min"
    world = world_build()
    web = Client()
    params = {"click_id": world.click.click_id, "token": "wrong"}
    answers = [web.get("/postback", params).status_code for _ in range(3)]
    assert answers == [403, 403, 403]
    assert CallbackInbox.objects.filter(state="rejected_auth").count() == 3

    refused = web.get("/postback", params)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert set(refused.json()["error"]) == {"code", "message", "fields"}
    _retry_after(refused["Retry-After"])
    assert CallbackInbox.objects.count() == 3


def test_unauthenticated_callbacks_for_clicks_not_found_count_against_the_address(settings):
    settings.CALLBACK_RATE_ADDRESS = "2/min"
    web = Client()
    # Made-up click ids, no offer id: stored for a later check (auth_deferred), unauthenticated.
    answers = [
        web.get("/postback", {"click_id": click_id_new(), "token": "whatever"}).status_code
        for _ in range(4)
    ]
    assert answers == [200, 200, 429, 429]
    assert CallbackInbox.objects.filter(auth_deferred=True).count() == 2


def test_the_tune_dialect_answers_its_429_in_its_own_style_with_retry_after(settings):
    settings.CALLBACK_RATE_ADDRESS = "1/min"
    world = world_build()
    web = Client()
    params = {"transaction_id": world.click.click_id, "security_token": "wrong"}
    assert web.get("/aff_lsr", params).status_code == 403
    refused = web.get("/aff_lsr", params)
    assert refused.status_code == 429
    assert refused.content.startswith(b"success=false; err_msg=")
    _retry_after(refused["Retry-After"])


def test_an_authenticated_advertiser_is_not_limited_by_its_address_failures(settings):
    settings.CALLBACK_RATE_ADDRESS = "2/min"
    world = world_build()
    web = Client()
    bad = {"click_id": world.click.click_id, "token": "wrong"}
    assert [web.get("/postback", bad).status_code for _ in range(3)] == [403, 403, 429]

    answers = [
        web.get(
            "/postback", {"click_id": world.click.click_id, "txn_id": f"T{n}", "token": SECRET}
        ).status_code
        for n in range(10)
    ]
    assert answers == [200] * 10
    assert CallbackInbox.objects.filter(state="received").count() == 10


def test_an_advertiser_over_its_limit_is_answered_429_with_retry_after_and_nothing_stored(
    settings, app
):
    settings.CALLBACK_RATE_ADVERTISER = "3/min"
    world = world_build()

    def send(n: int):
        params = {"click_id": world.click.click_id, "txn_id": f"M{n}", "token": SECRET}
        return serve(app, "/postback", params)

    assert [send(n)[0] for n in range(3)] == [200, 200, 200]
    status, headers, body = send(3)
    assert status == 429
    assert b'"rate_limited"' in body
    assert headers["Content-Type"] == "application/json"
    _retry_after(headers["Retry-After"])
    assert CallbackInbox.objects.count() == 3

    # Another advertiser, same address: its own limit.
    other = world_build()
    params = {"click_id": other.click.click_id, "txn_id": "O1", "token": SECRET}
    assert serve(app, "/postback", params)[0] == 200


def test_pixels_over_the_address_limit_still_answer_the_gif_and_store_nothing(settings, app):
    settings.CALLBACK_RATE_PIXEL = "2/min"
    world = world_build()
    path = f"/p/{world.goal.ref}.gif"
    django_answers = [Client().get(path, {"click_id": world.click.click_id}) for _ in range(2)]
    lean_answers = [serve(app, path, {"click_id": world.click.click_id}) for _ in range(2)]
    for response in django_answers:
        assert (response.status_code, response.content) == (200, PIXEL_GIF)
    for status, headers, body in lean_answers:
        assert (status, headers["Content-Type"], body) == (200, "image/gif", PIXEL_GIF)
    # Django's test client and the lean handler come from two addresses: two pixels each.
    assert CallbackInbox.objects.filter(dialect="pixel").count() == 4
    for _ in range(3):
        response = Client().get(path, {"click_id": world.click.click_id})
        assert (response.status_code, response.content) == (200, PIXEL_GIF)
        assert serve(app, path, {"click_id": world.click.click_id})[2] == PIXEL_GIF
    assert CallbackInbox.objects.filter(dialect="pixel").count() == 4


def test_the_address_is_the_one_our_trusted_proxy_reports_and_no_one_else(settings, app):
    settings.CALLBACK_RATE_ADDRESS = "1/min"
    settings.CLICK_IP_HEADER = "X-Real-IP"
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]

    def unauthenticated(peer: str, told: str) -> int:
        params = {"click_id": click_id_new(), "token": "x"}
        return serve(app, "/postback", params, REMOTE_ADDR=peer, HTTP_X_REAL_IP=told)[0]

    # Behind our proxy, each visitor address has its own counter.
    assert unauthenticated("127.0.0.1", "198.51.100.1") == 200
    assert unauthenticated("127.0.0.1", "198.51.100.1") == 429
    assert unauthenticated("127.0.0.1", "198.51.100.2") == 200
    # A caller talking to the node directly cannot pick a fresh address per request.
    assert unauthenticated("203.0.113.50", "198.51.100.3") == 200
    assert unauthenticated("203.0.113.50", "198.51.100.4") == 429


def test_callbacks_are_accepted_and_a_log_line_says_so_when_the_limiter_cannot_reach_redis(
    settings, caplog
):
    world = world_build()
    buffer.redis_client()  # the click buffer keeps its own client, on the real Redis
    settings.CALLBACK_RATE_ADVERTISER = "1/min"
    settings.CALLBACK_RATE_ADDRESS = "1/min"
    settings.CALLBACK_RATE_PIXEL = "1/min"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    limits_reset()
    web = Client()
    with caplog.at_level(logging.WARNING, logger="tracking.callbacks.limits"):
        answers = [
            web.get(
                "/postback", {"click_id": world.click.click_id, "txn_id": f"F{n}", "token": SECRET}
            ).status_code
            for n in range(3)
        ]
        failed = [
            web.get("/postback", {"click_id": world.click.click_id, "token": "no"}).status_code
            for _ in range(3)
        ]
        pixels = [
            web.get(f"/p/{world.goal.ref}.gif", {"click_id": world.click.click_id}).status_code
            for _ in range(3)
        ]
    assert answers == [200, 200, 200]
    assert failed == [403, 403, 403]
    assert pixels == [200, 200, 200]
    assert CallbackInbox.objects.count() == 9
    said = [r for r in caplog.records if "admitting without a limit" in r.getMessage()]
    # Once per outage (then Redis is left alone for a few seconds), not once per request.
    assert len(said) == 1


def test_a_callback_with_more_parameters_than_kept_is_refused_400(settings):
    settings.CALLBACK_MAX_PARAMS = 5
    settings.CALLBACK_MAX_PARAM_LENGTH = 100
    world = world_build()
    web = Client()
    base = {"click_id": world.click.click_id, "token": SECRET}
    many = web.get("/postback", {**base, **{f"x{n}": "1" for n in range(4)}})
    assert many.status_code == 400
    assert many.json()["error"]["code"] == "too_many_parameters"
    long = web.get("/postback", {**base, "adv1": "v" * 101})
    assert long.status_code == 400
    assert long.json()["error"]["code"] == "parameter_too_long"
    assert CallbackInbox.objects.count() == 0
    assert web.get("/postback", {**base, "x1": "1", "adv1": "v" * 100}).status_code == 200


def test_during_a_postgresql_outage_callbacks_count_at_the_advertiser_rate_not_the_address_one(
    settings, app
):
    from django.db import connections

    from tests.tracking.conversions.test_callbacks_while_postgresql_is_down import (
        postgresql_down,
    )
    from tracking.callbacks import selectors, spool

    if connections["default"].vendor != "postgresql":
        pytest.skip("the spool needs PostgreSQL")
    settings.CALLBACK_SPOOL_KEY = "{affnet:test-spool-limits}"
    settings.CALLBACK_RATE_ADDRESS = "1/min"
    settings.CALLBACK_RATE_ADVERTISER = "3/min"
    world = world_build()
    selectors._by_offer.clear()  # nothing known of the advertiser: every callback is deferred
    spool.spool_client_reset()
    try:
        with postgresql_down():
            answers = [
                serve(
                    app,
                    "/postback",
                    {"click_id": world.click.click_id, "txn_id": f"P{n}", "token": SECRET},
                )
                for n in range(4)
            ]
    finally:
        spool.spool_client().delete(settings.CALLBACK_SPOOL_KEY)
        spool.spool_client_reset()
    assert [status for status, _, _ in answers] == [200, 200, 200, 429]
    assert b'"spooled": true' in answers[0][2]
    _retry_after(answers[3][1]["Retry-After"])
