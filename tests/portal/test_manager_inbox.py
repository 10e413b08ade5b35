"""The callback inbox, publishers and advertisers on the manager desk: refused callbacks with
why in words, users and API keys by prefix only, other roles refused."""

import pytest

from affiliates.keys import api_key_create
from tests import factories
from tests.portal.conftest import client_as


def test_the_inbox_lists_refused_callbacks_with_why_in_words(net):
    refused = factories.CallbackInboxFactory(
        advertiser=net.advertiser, state="processed", result="unknown_goal"
    )
    accepted = factories.CallbackInboxFactory(
        advertiser=net.advertiser, state="processed", result="approved"
    )
    at_door = factories.CallbackInboxFactory(state="rejected_auth", result="bad_token")
    manager = client_as(net.manager)
    page = manager.get("/network/callbacks/")
    ids = [row.id for row in page.context["page"]]
    assert ids == [at_door.id, refused.id]
    html = page.content.decode()
    assert "The goal named is not one of the offer&#x27;s goals" in html
    assert "The token is wrong" in html

    everything = manager.get("/network/callbacks/", {"all": "1"})
    assert accepted.id in [row.id for row in everything.context["page"]]
    only = manager.get("/network/callbacks/", {"result": "bad_token"})
    assert [row.id for row in only.context["page"]] == [at_door.id]
    mine = manager.get("/network/callbacks/", {"advertiser": net.advertiser.id})
    assert [row.id for row in mine.context["page"]] == [refused.id]


def test_a_publisher_page_shows_its_users_and_key_prefixes_never_the_key(net):
    minted = api_key_create(user=net.publisher_user, name="reporting")
    page = client_as(net.manager).get(f"/network/publishers/{net.publisher.id}/")
    html = page.content.decode()
    assert "blue" in html and "reporting" in html
    assert f"{minted.api_key.prefix}…" in html
    assert minted.raw_key not in html
    assert minted.api_key.secret_hash not in html


def test_an_advertiser_page_shows_its_offers_users_keys_and_refused_callbacks(net):
    api_key_create(user=net.advertiser_user, name="shop backend")
    factories.CallbackInboxFactory(
        advertiser=net.advertiser, state="processed", result="duplicate_txn"
    )
    html = client_as(net.manager).get(f"/network/advertisers/{net.advertiser.id}/").content.decode()
    assert "Acme Summer Sale" in html and "acme" in html and "shop backend" in html
    assert "That transaction id was already converted" in html


def test_the_lists_search_by_name_and_an_unknown_id_is_a_404(net):
    manager = client_as(net.manager)
    publishers = manager.get("/network/publishers/", {"q": "red"}).content.decode()
    assert "Red Media" in publishers and "Blue Media" not in publishers
    advertisers = manager.get("/network/advertisers/", {"q": "acme"}).content.decode()
    assert "Acme Shop" in advertisers and "Other Shop" not in advertisers
    assert manager.get("/network/publishers/999999/").status_code == 404
    assert manager.get("/network/advertisers/999999/").status_code == 404


@pytest.mark.parametrize("who", ["publisher_user", "advertiser_user", "finance"])
@pytest.mark.parametrize(
    "path",
    ["/network/callbacks/", "/network/publishers/", "/network/advertisers/"],
)
def test_other_roles_cannot_open_the_inbox_or_the_partner_pages(net, who, path):
    assert client_as(getattr(net, who)).get(path).status_code == 403


def test_an_advertiser_cannot_open_its_own_page_on_the_manager_desk(net):
    client = client_as(net.advertiser_user)
    assert client.get(f"/network/advertisers/{net.advertiser.id}/").status_code == 403
    assert client.get("/network/").status_code == 403


def test_the_inbox_ignores_an_advertiser_filter_that_is_no_id(net):
    # "²".isdigit() is True and int("²") raises: this answered 500 (core.validation.whole_number).
    page = client_as(net.manager).get("/network/callbacks/", {"advertiser": "²"})
    assert page.status_code == 200
