import pytest

from affiliates.models import OfferAccess
from offers.models import Offer
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def publisher_user():
    return factories.PublisherUserFactory()


def test_a_publisher_mints_a_link_for_a_public_offer_with_ready_to_copy_urls(
    publisher_user, settings
):
    offer = factories.OfferFactory()
    api = client_for(publisher_user)
    response = api.post("/api/v1/links/", {"offer": offer.id}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["url"] == f"{settings.TRACKING_BASE_URL}/c/{body['code']}"
    assert body["tune_url"] == (
        f"{settings.TRACKING_BASE_URL}/aff_c?offer_id={offer.id}"
        f"&aff_id={publisher_user.publisher_id}"
    )
    assert body["impression_url"] == f"{settings.TRACKING_BASE_URL}/i/{body['code']}"
    again = api.post("/api/v1/links/", {"offer": offer.id}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_the_minted_link_redirects(publisher_user, client):
    offer = factories.OfferFactory()
    url = (
        client_for(publisher_user)
        .post("/api/v1/links/", {"offer": offer.id}, format="json")
        .json()["url"]
    )
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 302


@pytest.mark.parametrize("visibility", [Offer.Visibility.APPROVAL, Offer.Visibility.PRIVATE])
def test_a_publisher_cannot_mint_a_link_for_an_offer_it_may_not_run(publisher_user, visibility):
    offer = factories.OfferFactory(visibility=visibility)
    response = client_for(publisher_user).post("/api/v1/links/", {"offer": offer.id}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_runnable"
    assert "offer" in response.json()["error"]["fields"]


def test_an_approved_publisher_mints_a_link_for_an_approval_offer(publisher_user):
    offer = factories.OfferFactory(visibility=Offer.Visibility.APPROVAL)
    factories.OfferAccessFactory(
        offer=offer, publisher=publisher_user.publisher, status=OfferAccess.Status.APPROVED
    )
    response = client_for(publisher_user).post("/api/v1/links/", {"offer": offer.id}, format="json")
    assert response.status_code == 201


def test_a_missing_offer_gets_the_same_answer_as_a_private_one(publisher_user):
    response = client_for(publisher_user).post("/api/v1/links/", {"offer": 99999}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_runnable"


def test_a_publisher_cannot_mint_for_another_publisher(publisher_user):
    offer = factories.OfferFactory()
    other = factories.PublisherFactory()
    response = client_for(publisher_user).post(
        "/api/v1/links/", {"offer": offer.id, "publisher": other.id}, format="json"
    )
    assert response.status_code == 403


def test_an_advertiser_cannot_mint_links(db):
    user = factories.AdvertiserUserFactory()
    offer = factories.OfferFactory(advertiser=user.advertiser)
    response = client_for(user).post("/api/v1/links/", {"offer": offer.id}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_manager_mints_a_link_naming_the_publisher_and_must_name_one(manager):
    offer = factories.OfferFactory()
    publisher = factories.PublisherFactory()
    api = client_for(manager)
    assert api.post("/api/v1/links/", {"offer": offer.id}, format="json").status_code == 400
    response = api.post(
        "/api/v1/links/", {"offer": offer.id, "publisher": publisher.id}, format="json"
    )
    assert response.status_code == 201 and response.json()["publisher"] == publisher.id


def test_a_bad_body_is_a_400_in_the_one_error_shape(publisher_user):
    response = client_for(publisher_user).post("/api/v1/links/", {"offer": "x"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_each_role_lists_only_its_own_links(publisher_user, manager):
    mine = factories.TrackingLinkFactory(publisher=publisher_user.publisher)
    theirs = factories.TrackingLinkFactory()
    advertiser_user = factories.AdvertiserUserFactory(advertiser=theirs.offer.advertiser)

    def ids(user):
        response = client_for(user).get("/api/v1/links/")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids(publisher_user) == {mine.id}
    assert ids(advertiser_user) == {theirs.id}
    assert ids(manager) == {mine.id, theirs.id}
    assert client_for(publisher_user).get(f"/api/v1/links/{theirs.id}/").status_code == 404


def test_an_anonymous_caller_is_refused(api_client):
    assert api_client.get("/api/v1/links/").status_code in (401, 403)
