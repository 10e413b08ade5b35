"""Each way a callback can fail to prove it is from the offer's advertiser: 403, no conversion,
and a rejected inbox row with its reason. Then the ways that pass."""

import time
from datetime import UTC, datetime

import pytest
import time_machine
from ulid import ULID

from affiliates.keys import secret_hash
from offers.models import Advertiser
from tests import factories
from tests.tracking.conversions.conftest import SECRET, drain
from tests.tracking.conversions.signing import (
    KNOWN_CLICK_ID,
    KNOWN_TIMESTAMP,
    KNOWN_V1_AMOUNT_5,
    signed_v1,
)
from tracking.models import CallbackInbox, Conversion


def _signed(path: str, params: dict, *, at: int | None = None, secret: str = SECRET) -> dict:
    # Signed by Python's hmac module (tests/tracking/conversions/signing.py), never by the code
    # under test.
    return signed_v1(path, params, secret=secret, at=at)


def _assert_refused(response, reason: str) -> None:
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == reason
    row = CallbackInbox.objects.get()
    assert (row.state, row.result) == ("rejected_auth", reason)
    drain()
    assert not Conversion.objects.exists()


def test_a_callback_without_token_or_signature_is_refused(world, web):
    _assert_refused(web.get("/postback", {"click_id": world.click.click_id}), "missing_auth")


def test_a_wrong_token_is_refused(world, web):
    response = web.get("/postback", {"click_id": world.click.click_id, "token": "guess"})
    _assert_refused(response, "bad_token")


def test_a_wrong_signature_is_refused(world, web):
    params = {"click_id": world.click.click_id}
    headers = _signed("/postback", params, secret="another secret")
    _assert_refused(web.get("/postback", params, **headers), "bad_signature")


def test_a_signature_over_other_parameters_is_refused(world, web):
    params = {"click_id": world.click.click_id, "amount": "10"}
    headers = _signed("/postback", {**params, "amount": "1000"})
    _assert_refused(web.get("/postback", params, **headers), "bad_signature")


def test_a_signature_older_than_300_seconds_is_refused(world, web):
    params = {"click_id": world.click.click_id}
    headers = _signed("/postback", params, at=int(time.time()) - 301)
    _assert_refused(web.get("/postback", params, **headers), "stale_timestamp")


def test_a_timestamp_that_is_not_unix_seconds_is_refused(world, web):
    params = {"click_id": world.click.click_id}
    headers = {**_signed("/postback", params), "HTTP_X_AFFNET_TIMESTAMP": "yesterday"}
    _assert_refused(web.get("/postback", params, **headers), "bad_timestamp")


def test_a_caller_outside_the_allowlist_is_refused(world, web):
    Advertiser.objects.filter(id=world.advertiser.id).update(ip_allowlist=["198.51.100.0/24"])
    response = web.get(
        "/postback",
        {"click_id": world.click.click_id, "token": SECRET},
        REMOTE_ADDR="203.0.113.9",
    )
    _assert_refused(response, "ip_not_allowed")


def test_an_advertiser_without_a_secret_cannot_be_authenticated(db, web):
    click = factories.ClickFactory()
    response = web.get("/postback", {"click_id": click.click_id, "token": "anything"})
    _assert_refused(response, "no_secret_configured")


def test_an_inactive_advertiser_is_refused(world, web):
    Advertiser.objects.filter(id=world.advertiser.id).update(status="inactive")
    response = web.get("/postback", {"click_id": world.click.click_id, "token": SECRET})
    _assert_refused(response, "advertiser_inactive")


def test_a_tune_callback_with_a_wrong_security_token_answers_tune_style(world, web):
    response = web.get(
        "/aff_lsr",
        {"offer_id": world.offer.id, "transaction_id": world.click.click_id, "security_token": "x"},
    )
    assert response.status_code == 403
    assert response.content.decode().startswith("success=false; err_msg=")


def test_a_valid_signature_alone_is_enough_and_so_is_an_allowed_address(world, web):
    Advertiser.objects.filter(id=world.advertiser.id).update(ip_allowlist=["127.0.0.0/8"])
    params = {"click_id": world.click.click_id, "amount": "5"}
    response = web.get("/postback", params, **_signed("/postback", params))
    assert response.status_code == 200, response.content
    drain()
    assert Conversion.objects.get().status == "approved"


def test_the_test_signer_matches_the_known_answer():
    """The signer these tests use reproduces the hex computed once by hand."""
    headers = signed_v1(
        "/postback", {"click_id": KNOWN_CLICK_ID, "amount": "5"}, secret=SECRET, at=KNOWN_TIMESTAMP
    )
    assert headers["HTTP_X_AFFNET_SIGNATURE"] == KNOWN_V1_AMOUNT_5


def test_a_request_signed_with_the_known_answer_is_accepted_and_one_digit_off_is_not(world, web):
    """The endpoint checks a v1 signature typed in as a literal, at the moment it was made for."""
    with time_machine.travel(KNOWN_TIMESTAMP + 5, tick=False):
        world.new_click(click_id=KNOWN_CLICK_ID, created_at=datetime.now(UTC))
        params = {"click_id": KNOWN_CLICK_ID, "amount": "5"}
        headers = {"HTTP_X_AFFNET_TIMESTAMP": str(KNOWN_TIMESTAMP)}
        wrong = KNOWN_V1_AMOUNT_5[:-1] + ("0" if KNOWN_V1_AMOUNT_5[-1] != "0" else "1")
        refused = web.get("/postback", params, HTTP_X_AFFNET_SIGNATURE=wrong, **headers)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "bad_signature"
        accepted = web.get(
            "/postback", params, HTTP_X_AFFNET_SIGNATURE=f"sha256={KNOWN_V1_AMOUNT_5}", **headers
        )
        assert accepted.status_code == 200, accepted.content
        drain()
    conversion = Conversion.objects.get(click_id=KNOWN_CLICK_ID)
    assert (conversion.status, conversion.reject_reason) == ("approved", "")


def test_another_advertisers_secret_cannot_convert_this_advertisers_click(world, web):
    other = factories.AdvertiserFactory(postback_secret_hash=secret_hash("other"))
    other_offer = factories.OfferFactory(advertiser=other)
    response = web.get(
        "/postback",
        {"click_id": world.click.click_id, "offer_id": other_offer.id, "token": "other"},
    )
    assert response.status_code == 200  # authenticated as `other`...
    drain()
    assert CallbackInbox.objects.get().result == "advertiser_mismatch"  # ...but not its click
    assert not Conversion.objects.exists()


def test_credentials_of_a_callback_whose_click_is_not_found_yet_are_checked_later(world, web):
    click_id = str(ULID())
    assert web.get("/postback", {"click_id": click_id, "token": "wrong"}).status_code == 200
    row = CallbackInbox.objects.get()
    assert row.auth_deferred and "token" not in row.params
    world.new_click(click_id=click_id)
    drain()
    row.refresh_from_db()
    assert row.result == "bad_token"
    assert not Conversion.objects.exists()


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"click_id": ""}, "click_id_missing"),
        ({"click_id": "not-a-ulid"}, "click_id_invalid"),
        ({"click_id": "8" + "0" * 25}, "click_id_invalid"),
        ({"amount": "ten"}, "amount_invalid"),
        ({"amount": "-1"}, "amount_invalid"),
        ({"currency": "XXQ"}, "currency_invalid"),
        ({"status": "maybe"}, "status_invalid"),
    ],
)
def test_a_malformed_callback_is_a_400_that_stores_nothing(world, web, params, code):
    params = {"click_id": world.click.click_id, "token": SECRET, **params}
    if not params["click_id"]:
        del params["click_id"]
    response = web.get("/postback", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["fields"]
    assert not CallbackInbox.objects.exists()
