"""Postback secrets encrypted at rest, signature v2 keyed by the secret, v1 until its cut-off,
the signature as a replay key, tokens in a header, and no repeated parameter in signed requests.
Through the real endpoints (Django's views and the lean WSGI handler)."""

import hashlib
import time
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import Client
from django.utils import timezone
from ulid import ULID

from offers.models import Advertiser
from offers.secret_box import secret_decrypt
from offers.services import advertiser_postback_secrets_reencrypt
from tests import factories
from tests.conftest import client_for, signed_in
from tests.tracking.conversions.conftest import SECRET, drain
from tracking.callbacks import store
from tracking.callbacks.auth import (
    canonical_request,
    replay_digest,
    signature_compute,
    signature_v2_compute,
)
from tracking.callbacks.replay import callback_replay_keys_purge
from tracking.models import CallbackInbox, CallbackReplayKey, Conversion

# Known answers, computed once by hand with Python's hmac module (not by the code under test):
#   hmac.new(b"pbs_known-answer-secret", MESSAGE, sha256).hexdigest()                  (v2)
#   hmac.new(sha256_hex(b"pbs_known-answer-secret").encode(), MESSAGE, sha256).hexdigest() (v1)
KNOWN_SECRET = "pbs_known-answer-secret"
KNOWN_CANONICAL = "GET\n/postback\namount=49.90&click_id=01JA0000000000000000000000&goal=sale"
KNOWN_V2 = "10140daec288191a24306ba412a8b1097e0676d143310c403fd43437bdddf77f"
KNOWN_V1 = "cc1a80c0a29482783c1db135ccdd509d05b2ae938e25c2ddc91dbf0905a11ce1"


def _v2(path: str, params: list[tuple[str, str]], *, secret: str = SECRET) -> dict:
    timestamp = str(int(time.time()))
    canonical = canonical_request(method="GET", path=path, params=params)
    signature = signature_v2_compute(secret=secret, timestamp=timestamp, canonical=canonical)
    return {"HTTP_X_AFFNET_TIMESTAMP": timestamp, "HTTP_X_AFFNET_SIGNATURE": f"v2={signature}"}


def _v1(path: str, params: list[tuple[str, str]], *, secret: str = SECRET) -> dict:
    timestamp = str(int(time.time()))
    canonical = canonical_request(method="GET", path=path, params=params)
    key_hex = hashlib.sha256(secret.encode()).hexdigest()
    signature = signature_compute(key_hex=key_hex, timestamp=timestamp, canonical=canonical)
    return {"HTTP_X_AFFNET_TIMESTAMP": timestamp, "HTTP_X_AFFNET_SIGNATURE": f"sha256={signature}"}


def test_signatures_match_the_known_answer_vectors():
    canonical = "GET\n/postback\n" + urlencode(
        sorted([("goal", "sale"), ("click_id", "01JA0000000000000000000000"), ("amount", "49.90")])
    )
    assert canonical == KNOWN_CANONICAL
    v2 = signature_v2_compute(secret=KNOWN_SECRET, timestamp="1700000000", canonical=canonical)
    assert v2 == KNOWN_V2
    key_hex = hashlib.sha256(KNOWN_SECRET.encode()).hexdigest()
    v1 = signature_compute(key_hex=key_hex, timestamp="1700000000", canonical=canonical)
    assert v1 == KNOWN_V1


def test_a_v2_signed_callback_is_accepted_and_converts(world, web):
    params = [("click_id", world.click.click_id), ("goal", "sale"), ("txn_id", "v2-1")]
    response = web.get(f"/postback?{urlencode(params)}", **_v2("/postback", params))
    assert response.status_code == 200, response.content
    drain()
    assert Conversion.objects.get().status == "approved"


def test_a_v2_signature_made_with_the_hash_as_key_is_refused(world, web):
    params = [("click_id", world.click.click_id), ("goal", "sale")]
    headers = _v2("/postback", params, secret=hashlib.sha256(SECRET.encode()).hexdigest())
    response = web.get(f"/postback?{urlencode(params)}", **headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"


def test_a_replayed_signed_callback_is_refused_and_stores_nothing(world, web):
    params = [("click_id", world.click.click_id), ("goal", "sale"), ("txn_id", "once")]
    headers = _v2("/postback", params)
    first = web.get(f"/postback?{urlencode(params)}", **headers)
    assert first.status_code == 200, first.content
    again = web.get(f"/postback?{urlencode(params)}", **headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "replayed"
    # The same signature spelled in capitals is the same replay key.
    upper = {**headers, "HTTP_X_AFFNET_SIGNATURE": headers["HTTP_X_AFFNET_SIGNATURE"].upper()}
    assert web.get(f"/postback?{urlencode(params)}", **upper).status_code == 409
    assert CallbackInbox.objects.count() == 1
    key = CallbackReplayKey.objects.get()
    assert key.advertiser_id == world.advertiser.id
    assert key.digest == replay_digest(headers["HTTP_X_AFFNET_SIGNATURE"])


def test_a_replayed_v1_signature_is_refused_too(world, web):
    params = [("click_id", world.click.click_id), ("goal", "sale")]
    headers = _v1("/postback", params)
    assert web.get(f"/postback?{urlencode(params)}", **headers).status_code == 200
    bare = {**headers, "HTTP_X_AFFNET_SIGNATURE": headers["HTTP_X_AFFNET_SIGNATURE"][7:]}
    again = web.get(f"/postback?{urlencode(params)}", **bare)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "replayed")
    assert CallbackInbox.objects.count() == 1


def test_a_replay_of_a_callback_whose_click_is_not_found_yet_is_refused(world, web):
    params = [("click_id", str(ULID())), ("goal", "sale")]
    headers = _v2("/postback", params)
    assert web.get(f"/postback?{urlencode(params)}", **headers).status_code == 200
    assert CallbackInbox.objects.get().auth_deferred
    again = web.get(f"/postback?{urlencode(params)}", **headers)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "replayed")
    assert CallbackInbox.objects.count() == 1


def test_a_v2_signed_callback_whose_click_arrives_later_is_checked_and_converts(world, web):
    click_id = str(ULID())
    params = [("click_id", click_id), ("goal", "sale"), ("txn_id", "late")]
    assert web.get(f"/postback?{urlencode(params)}", **_v2("/postback", params)).status_code == 200
    world.new_click(click_id=click_id)
    drain()
    assert Conversion.objects.get().click_id == click_id


def test_a_signed_callback_repeating_a_parameter_is_refused(world, web):
    params = [
        ("click_id", world.click.click_id),
        ("goal", "sale"),
        ("amount", "1"),
        ("amount", "1000"),
    ]
    response = web.get(f"/postback?{urlencode(params)}", **_v2("/postback", params))
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "repeated_parameter" and "amount" in body["fields"]
    assert not CallbackInbox.objects.exists()
    assert not CallbackReplayKey.objects.exists()


def test_a_token_in_the_header_works(world, web):
    params = {"click_id": world.click.click_id, "goal": "sale", "txn_id": "hdr"}
    response = web.get("/postback", params, HTTP_X_AFFNET_TOKEN=SECRET)
    assert response.status_code == 200, response.content
    drain()
    assert Conversion.objects.get().status == "approved"
    assert SECRET not in repr(CallbackInbox.objects.get().headers)


def test_a_wrong_token_in_the_header_is_refused(world, web):
    params = {"click_id": world.click.click_id, "goal": "sale"}
    response = web.get("/postback", params, HTTP_X_AFFNET_TOKEN="guess")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "bad_token")
    drain()
    assert not Conversion.objects.exists()


def test_a_header_token_differing_from_the_parameter_is_refused(world, web):
    params = {"click_id": world.click.click_id, "goal": "sale", "token": SECRET}
    response = web.get("/postback", params, HTTP_X_AFFNET_TOKEN="guess")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "token_mismatch")


def test_signature_v1_is_accepted_before_the_cut_off_and_refused_after(world, web, settings):
    settings.CALLBACK_SIGNATURE_V1_UNTIL = date.today() + timedelta(days=1)
    params = [("click_id", world.click.click_id), ("goal", "sale"), ("txn_id", "v1-a")]
    assert web.get(f"/postback?{urlencode(params)}", **_v1("/postback", params)).status_code == 200

    settings.CALLBACK_SIGNATURE_V1_UNTIL = timezone.now().date()
    params = [("click_id", world.click.click_id), ("goal", "sale"), ("txn_id", "v1-b")]
    refused = web.get(f"/postback?{urlencode(params)}", **_v1("/postback", params))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "signature_v1_retired"
    # v2 still works after the cut-off.
    params = [("click_id", world.click.click_id), ("goal", "sale"), ("txn_id", "v2-c")]
    assert web.get(f"/postback?{urlencode(params)}", **_v2("/postback", params)).status_code == 200


def test_the_secret_is_not_in_the_database_in_clear_nor_on_the_admin_page(db):
    user = factories.AdvertiserUserFactory()
    rotated = client_for(user).post(f"/api/v1/advertisers/{user.advertiser_id}/rotate-secret/")
    secret = rotated.json()["postback_secret"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM offers_advertiser WHERE id = %s", [user.advertiser_id])
        row = repr(cursor.fetchone())
    assert secret not in row
    assert secret[12:] not in row  # beyond the visible prefix, no part of it
    assert hashlib.sha256(secret.encode()).hexdigest() not in row  # nor the v1 key
    advertiser = Advertiser.objects.get(id=user.advertiser_id)
    assert secret_decrypt(advertiser.postback_secret_encrypted) == secret

    admin = factories.ManagerFactory(is_staff=True, is_superuser=True)
    admin.save()  # the factory sets the password after saving; the session hash needs it
    web = signed_in(Client(), admin)  # a superuser, its two-factor code given
    response = web.get(f"/admin/offers/advertiser/{advertiser.id}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert advertiser.postback_secret_prefix in page
    assert secret not in page
    assert advertiser.postback_secret_encrypted not in page
    assert "postback_secret_hash" not in page and "postback_secret_encrypted" not in page
    api = client_for(user).get(f"/api/v1/advertisers/{user.advertiser_id}/").json()
    assert "postback_secret_encrypted" not in api and secret not in repr(api)


def test_rotating_the_key_encryption_key_keeps_every_secret_readable(world, web, settings):
    old = settings.CALLBACK_SECRET_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.CALLBACK_SECRET_KEYS = [new, old]
    assert advertiser_postback_secrets_reencrypt() == 1
    settings.CALLBACK_SECRET_KEYS = [new]  # the old key dropped
    world.advertiser.refresh_from_db()
    assert secret_decrypt(world.advertiser.postback_secret_encrypted) == SECRET


def test_replay_keys_older_than_twice_the_tolerance_are_purged(db):
    now = timezone.now()
    CallbackReplayKey.objects.create(digest="a" * 64, received_at=now - timedelta(seconds=601))
    CallbackReplayKey.objects.create(digest="b" * 64, received_at=now - timedelta(seconds=599))
    assert callback_replay_keys_purge(now=now) == 1
    assert list(CallbackReplayKey.objects.values_list("digest", flat=True)) == ["b" * 64]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="batches are PostgreSQL's")
def test_a_replay_in_a_batch_does_not_fail_its_neighbours(db):
    """One multi-row insert (the group commit's) holding a new key, a taken key, a duplicate
    within the batch and an unsigned row: the replays get no row, the others are stored."""
    at = timezone.now()
    CallbackReplayKey.objects.create(digest="taken".ljust(64, "0"), received_at=at)

    def row(n: int) -> list:
        inbox = CallbackInbox(dialect="s2s", method="GET", path="/postback", click_id=f"C{n}")
        return [f.get_db_prep_save(f.pre_save(inbox, True), connection) for f in store._FIELDS]

    items = [
        (row(0), ("fresh".ljust(64, "0"), 1, at)),
        (row(1), ("taken".ljust(64, "0"), 1, at)),
        (row(2), ("fresh".ljust(64, "0"), 1, at)),
        (row(3), None),
    ]
    ids = store._insert_many("default", items)
    assert ids[1] is None and ids[2] is None
    assert ids[0] is not None and ids[3] is not None
    stored = CallbackInbox.objects.order_by("id").values_list("click_id", flat=True)
    assert list(stored) == ["C0", "C3"]
    assert CallbackReplayKey.objects.count() == 2
