"""API keys: shown once, hashed at rest, revoked at once, scoped to their owners."""

import hashlib

import pytest
from django.db import IntegrityError, connection
from rest_framework.test import APIClient

from affiliates import keys
from affiliates.keys import secret_hash
from affiliates.models import ApiKey
from offers.models import Advertiser
from offers.secret_box import secret_decrypt
from tests import factories
from tests.conftest import client_for


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def publisher_client(db):
    return client_for(factories.PublisherUserFactory())


def test_creating_a_key_shows_it_once_and_lists_only_its_prefix(publisher_client):
    response = publisher_client.post("/api/v1/api-keys/", {"name": "ci"}, format="json")
    assert response.status_code == 201, response.content
    raw = response.json()["key"]
    listed = publisher_client.get("/api/v1/api-keys/").json()["results"]
    assert all("key" not in row for row in listed)
    assert raw.split("_", 2)[1] in {row["prefix"] for row in listed}
    detail = publisher_client.get(f"/api/v1/api-keys/{response.json()['id']}/").json()
    assert "key" not in detail
    assert bearer(raw).get("/api/v1/me/").status_code == 200


def test_a_raw_key_is_nowhere_in_the_database_only_its_hash(publisher_client):
    raw = publisher_client.post("/api/v1/api-keys/", {"name": "ci"}, format="json").json()["key"]
    row = ApiKey.objects.get(prefix=raw.split("_", 2)[1])
    assert row.secret_hash == hashlib.sha256(raw.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM affiliates_apikey")
        dump = repr(cursor.fetchall())
    assert raw not in dump and raw.split("_", 2)[2] not in dump


def test_a_revoked_key_fails_at_once(publisher_client):
    created = publisher_client.post("/api/v1/api-keys/", {}, format="json").json()
    other = bearer(created["key"])
    assert other.get("/api/v1/offers/").status_code == 200
    response = publisher_client.post(f"/api/v1/api-keys/{created['id']}/revoke/")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    response = other.get("/api/v1/offers/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_key_can_revoke_itself_and_then_is_refused(publisher_client):
    me = publisher_client.get("/api/v1/me/").json()
    key_id = ApiKey.objects.get(prefix=me["api_key_prefix"]).id
    assert publisher_client.post(f"/api/v1/api-keys/{key_id}/revoke/").status_code == 200
    assert publisher_client.get("/api/v1/me/").status_code == 401


def test_a_key_whose_secret_contains_underscores_still_authenticates(db):
    # token_urlsafe may put "_" anywhere in the secret, even first; about 1 key in 30 does.
    user = factories.PublisherUserFactory()
    raw = "ak_0badc0de___a_b_"
    ApiKey.objects.create(user=user, prefix="0badc0de", secret_hash=secret_hash(raw))
    assert bearer(raw).get("/api/v1/me/").status_code == 200
    assert bearer(raw[:-1]).get("/api/v1/me/").status_code == 401


def test_a_prefix_already_taken_is_drawn_again(db, monkeypatch):
    user = factories.PublisherUserFactory()
    factories.ApiKeyFactory(user=user, prefix="deadbeef")
    drawn = iter(["deadbeef", "cafef00d"])
    monkeypatch.setattr(keys.secrets, "token_hex", lambda nbytes: next(drawn))
    minted = keys.api_key_create(user=user, name="second")
    assert minted.api_key.prefix == "cafef00d"
    assert bearer(minted.raw_key).get("/api/v1/me/").status_code == 200


def test_a_prefix_taken_every_time_is_an_error_not_a_silent_overwrite(db, monkeypatch):
    user = factories.PublisherUserFactory()
    factories.ApiKeyFactory(user=user, prefix="deadbeef")
    monkeypatch.setattr(keys.secrets, "token_hex", lambda nbytes: "deadbeef")
    with pytest.raises(IntegrityError):
        keys.api_key_create(user=user)
    assert ApiKey.objects.filter(prefix="deadbeef").count() == 1


def test_a_wrong_or_malformed_key_is_refused_with_the_error_shape(publisher_client):
    for raw in ("ak_00000000_nope", "garbage", "ak__"):
        response = bearer(raw).get("/api/v1/offers/")
        assert response.status_code == 401
        assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_only_a_manager_may_mint_a_key_for_another_user(db, publisher_client):
    other = factories.PublisherUserFactory()
    response = publisher_client.post("/api/v1/api-keys/", {"user": other.id}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["user"]
    manager = client_for(factories.ManagerFactory())
    response = manager.post("/api/v1/api-keys/", {"user": other.id}, format="json")
    assert response.status_code == 201
    assert bearer(response.json()["key"]).get("/api/v1/me/").json()["id"] == other.id


def test_a_rotated_postback_secret_is_shown_once_and_stored_encrypted(db):
    user = factories.AdvertiserUserFactory()
    client = client_for(user)
    url = f"/api/v1/advertisers/{user.advertiser_id}/rotate-secret/"
    first = client.post(url).json()
    second = client.post(url).json()
    assert first["postback_secret"] != second["postback_secret"]
    advertiser = Advertiser.objects.get(id=user.advertiser_id)
    assert advertiser.postback_secret_hash == ""
    assert second["postback_secret"] not in advertiser.postback_secret_encrypted
    assert secret_decrypt(advertiser.postback_secret_encrypted) == second["postback_secret"]
    assert second["postback_secret"].startswith(advertiser.postback_secret_prefix)
    detail = client.get(f"/api/v1/advertisers/{user.advertiser_id}/").json()
    assert second["postback_secret"] not in repr(detail)
    other = client_for(factories.AdvertiserUserFactory())
    assert other.post(url).status_code == 404
    publisher = client_for(factories.PublisherUserFactory())
    assert publisher.post(url).status_code == 404


@pytest.mark.parametrize(
    "target_factory",
    [
        factories.FinanceUserFactory,
        factories.ManagerFactory,
        lambda: factories.ManagerFactory(is_superuser=True, is_staff=True),
    ],
    ids=["finance", "manager", "superuser"],
)
def test_a_manager_cannot_mint_a_key_for_a_staff_user(db, target_factory):
    target = target_factory()
    manager = client_for(factories.ManagerFactory())
    response = manager.post("/api/v1/api-keys/", {"user": target.id}, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "forbidden"
    assert not ApiKey.objects.filter(user=target).exists()


def test_a_manager_mints_a_key_for_an_advertiser_user(db):
    target = factories.AdvertiserUserFactory()
    manager = client_for(factories.ManagerFactory())
    response = manager.post("/api/v1/api-keys/", {"user": target.id}, format="json")
    assert response.status_code == 201
    assert bearer(response.json()["key"]).get("/api/v1/me/").json()["id"] == target.id


def test_a_superuser_mints_a_key_for_a_finance_user(db):
    target = factories.FinanceUserFactory()
    superuser = client_for(factories.ManagerFactory(is_superuser=True, is_staff=True))
    response = superuser.post("/api/v1/api-keys/", {"user": target.id}, format="json")
    assert response.status_code == 201, response.content
    assert bearer(response.json()["key"]).get("/api/v1/me/").json()["id"] == target.id


def test_a_finance_user_still_mints_its_own_key(db):
    finance = factories.FinanceUserFactory()
    response = client_for(finance).post("/api/v1/api-keys/", {"name": "cli"}, format="json")
    assert response.status_code == 201
    assert ApiKey.objects.filter(user=finance, name="cli").exists()


def test_keys_per_user_are_capped_and_a_revoked_key_frees_a_place(db, settings):
    settings.API_KEYS_PER_USER = 3
    user = factories.PublisherUserFactory()
    client = client_for(user)  # the first key
    for _ in range(2):
        assert client.post("/api/v1/api-keys/", {}, format="json").status_code == 201
    response = client.post("/api/v1/api-keys/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "api_key_limit"
    assert ApiKey.objects.filter(user=user).count() == 3
    spare = ApiKey.objects.filter(user=user).order_by("-id").first()
    assert client.post(f"/api/v1/api-keys/{spare.id}/revoke/").status_code == 200
    assert client.post("/api/v1/api-keys/", {}, format="json").status_code == 201


def test_a_manager_minting_for_a_user_at_the_cap_is_refused(db, settings):
    settings.API_KEYS_PER_USER = 1
    target = factories.PublisherUserFactory()
    factories.ApiKeyFactory(user=target)
    manager = client_for(factories.ManagerFactory())
    response = manager.post("/api/v1/api-keys/", {"user": target.id}, format="json")
    assert response.status_code == 409
    assert ApiKey.objects.filter(user=target).count() == 1
