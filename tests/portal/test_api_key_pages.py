"""API key pages: each user lists, mints and revokes its own keys; the whole key is shown once
and stored hashed; another user's key cannot be revoked; managers read partners' prefixes."""

from affiliates.keys import api_key_create, api_key_find, secret_hash
from affiliates.models import ApiKey
from tests.portal.conftest import client_as


def test_a_user_mints_a_key_shown_once_and_stored_only_hashed(net):
    publisher = client_as(net.publisher_user)
    response = publisher.post("/account/api-keys/", {"name": "reporting script"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    raw = response.context["minted"]
    assert raw.startswith("ak_") and raw in response.content.decode()

    key = ApiKey.objects.get(user=net.publisher_user)
    assert key.name == "reporting script" and key.secret_hash == secret_hash(raw)
    assert raw not in {key.prefix, key.secret_hash, key.name}
    assert api_key_find(raw_key=raw) == key

    listed = publisher.get("/account/api-keys/").content.decode()
    assert raw not in listed and f"{key.prefix}…" in listed


def test_the_key_works_in_the_api_until_it_is_revoked_on_the_page(net):
    advertiser = client_as(net.advertiser_user)
    raw = advertiser.post("/account/api-keys/", {"name": "erp"}).context["minted"]
    key = ApiKey.objects.get(user=net.advertiser_user)
    me = advertiser.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.status_code == 200 and me.json()["api_key_prefix"] == key.prefix

    response = advertiser.post(f"/account/api-keys/{key.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/account/api-keys/"
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert client_as(net.advertiser_user).get(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}"
    ).status_code in (401, 403)
    assert api_key_find(raw_key=raw) is None


def test_another_users_key_cannot_be_revoked_even_by_a_colleague_or_a_manager(net):
    minted = api_key_create(user=net.advertiser_user, name="theirs")
    colleague = net.advertiser_user.__class__.objects.create(
        username="acme2", role="advertiser", advertiser=net.advertiser
    )
    for user in (colleague, net.other_advertiser_user, net.publisher_user, net.manager):
        response = client_as(user).post(f"/account/api-keys/{minted.api_key.pk}/revoke/")
        assert response.status_code == 404
    minted.api_key.refresh_from_db()
    assert minted.api_key.revoked_at is None


def test_a_users_list_shows_its_own_keys_only(net):
    api_key_create(user=net.other_advertiser_user, name="other-shop-key")
    page = client_as(net.advertiser_user).get("/account/api-keys/").content.decode()
    assert "other-shop-key" not in page


def test_a_manager_reads_partners_key_prefixes_and_never_a_secret(net):
    minted = api_key_create(user=net.publisher_user, name="pub-key")
    api_key_create(user=net.finance, name="finance-key")
    page = client_as(net.manager).get("/network/api-keys/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f"{minted.api_key.prefix}…" in html and "Blue Media" in html
    assert minted.raw_key not in html and minted.api_key.secret_hash not in html
    assert "finance-key" not in html


def test_partners_keys_page_is_for_managers_only(net):
    for user in (net.publisher_user, net.advertiser_user, net.finance):
        assert client_as(user).get("/network/api-keys/").status_code == 403


def test_the_keys_per_user_limit_is_shown_beside_the_form(net, settings):
    settings.API_KEYS_PER_USER = 1
    publisher = client_as(net.publisher_user)
    assert publisher.post("/account/api-keys/", {"name": "one"}).context["minted"]
    response = publisher.post("/account/api-keys/", {"name": "two"})
    assert response.context["minted"] is None
    assert "revoke one first" in response.content.decode()
    assert ApiKey.objects.filter(user=net.publisher_user).count() == 1
