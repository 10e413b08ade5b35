from datetime import UTC, datetime, timedelta

import pytest
from ulid import ULID

from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _click(offer, publisher, *, when=None, **fields):
    when = when or datetime.now(UTC)
    click_id = ULID.from_datetime(when)
    return factories.ClickFactory(
        click_id=str(click_id),
        created_at=click_id.datetime,
        offer_id=offer.id,
        publisher_id=publisher.id,
        **fields,
    )


@pytest.fixture
def world():
    offer_a, offer_b = factories.OfferFactory(), factories.OfferFactory()
    pub_a, pub_b = factories.PublisherFactory(), factories.PublisherFactory()
    clicks = {
        "a_a": _click(offer_a, pub_a, sub1="x", is_unique=True),
        "a_b": _click(offer_a, pub_b, sub1="y", is_unique=False, is_bot=True),
        "b_a": _click(offer_b, pub_a, when=datetime.now(UTC) - timedelta(days=3)),
    }
    return offer_a, offer_b, pub_a, pub_b, clicks


def _ids(user, query=""):
    response = client_for(user).get(f"/api/v1/clicks/{query}")
    assert response.status_code == 200, response.content
    return {row["click_id"] for row in response.json()["results"]}, response.json()


def test_each_role_reads_only_its_own_clicks(world, manager):
    offer_a, _, pub_a, _, clicks = world
    publisher_user = factories.PublisherUserFactory(publisher=pub_a)
    advertiser_user = factories.AdvertiserUserFactory(advertiser=offer_a.advertiser)
    finance = factories.FinanceUserFactory()
    everything = {click.click_id for click in clicks.values()}
    assert _ids(publisher_user)[0] == {clicks["a_a"].click_id, clicks["b_a"].click_id}
    assert _ids(advertiser_user)[0] == {clicks["a_a"].click_id, clicks["a_b"].click_id}
    assert _ids(manager)[0] == everything
    assert _ids(finance)[0] == everything


def test_partners_do_not_see_the_visitors_address_staff_do(world, manager):
    _, _, pub_a, _, _ = world
    publisher_user = factories.PublisherUserFactory(publisher=pub_a)
    assert "ip" not in _ids(publisher_user)[1]["results"][0]
    assert "ip" in _ids(manager)[1]["results"][0]


def test_clicks_filter_by_offer_publisher_time_sub_id_unique_and_bot(world, manager):
    offer_a, _, _, pub_b, clicks = world
    assert _ids(manager, f"?offer={offer_a.id}")[0] == {
        clicks["a_a"].click_id,
        clicks["a_b"].click_id,
    }
    assert _ids(manager, f"?publisher={pub_b.id}")[0] == {clicks["a_b"].click_id}
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert clicks["b_a"].click_id not in _ids(manager, f"?created_after={since}")[0]
    assert _ids(manager, f"?created_before={since}")[0] == {clicks["b_a"].click_id}
    assert _ids(manager, "?sub1=x")[0] == {clicks["a_a"].click_id}
    assert clicks["a_b"].click_id in _ids(manager, "?is_unique=false")[0]
    assert _ids(manager, "?is_bot=true")[0] == {clicks["a_b"].click_id}


def test_one_click_is_read_by_its_id_and_a_foreign_one_is_not_found(world):
    _, _, pub_a, _, clicks = world
    api = client_for(factories.PublisherUserFactory(publisher=pub_a))
    assert api.get(f"/api/v1/clicks/{clicks['a_a'].click_id}/").status_code == 200
    assert api.get(f"/api/v1/clicks/{clicks['a_b'].click_id}/").status_code == 404


def test_clicks_are_read_only(world, manager):
    assert client_for(manager).post("/api/v1/clicks/", {}, format="json").status_code == 405
