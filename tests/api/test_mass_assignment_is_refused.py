"""Fields a role may not set are refused with a 400 naming them, never silently ignored."""

import pytest

from affiliates.models import OfferAccess, Publisher
from offers.models import Advertiser, Offer
from tests.api.world import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.mark.parametrize(
    "body",
    [
        {"status": "active"},
        {"minimum_payout": "0.01"},
        {"hold_days": 0},
        {"name": "New name", "status": "active", "hold_days": 0},
    ],
)
def test_a_publisher_cannot_set_its_own_status_minimum_payout_or_hold_days(world, body):
    p_id = world.rows["publishers"]["P"]
    Publisher.objects.filter(id=p_id).update(status="pending")
    response = world.clients["pub_p"].patch(f"/api/v1/publishers/{p_id}/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "not_writable"
    assert set(error["fields"]) == set(body) - {"name"}
    publisher = Publisher.objects.get(id=p_id)
    assert (publisher.status, publisher.name, publisher.hold_days) == ("pending", "P", None)


def test_a_publisher_edits_its_name_and_asks_for_new_payout_details(world):
    # Where the money goes changes only once finance confirms (issue 10): never by a PATCH.
    p_id = world.rows["publishers"]["P"]
    client = world.clients["pub_p"]
    before = Publisher.objects.get(id=p_id).payout_details
    body = {"name": "P2", "payout_details": {"iban": "DE00"}, "payout_method": "wire"}
    refused = client.patch(f"/api/v1/publishers/{p_id}/", body, format="json")
    assert refused.json()["error"]["code"] == "confirmation_required"
    renamed = client.patch(f"/api/v1/publishers/{p_id}/", {"name": "P2"}, format="json")
    assert renamed.status_code == 200
    change = {"publisher": p_id, "payout_method": "wire", "payout_details": {"iban": "DE00"}}
    asked = client.post("/api/v1/payout-details-changes/", change, format="json")
    assert (asked.status_code, asked.json()["state"]) == (201, "pending")
    publisher = Publisher.objects.get(id=p_id)
    assert (publisher.name, publisher.payout_details) == ("P2", before)


def test_a_publisher_cannot_approve_its_own_access_request(world):
    offer_id = world.rows["offers"]["A_appr"]
    world.clients["pub_p"].delete(f"/api/v1/offer-access/{world.rows['offer-access']['P_A_appr']}/")
    body = {"offer": offer_id, "status": "approved"}
    response = world.clients["pub_p"].post("/api/v1/offer-access/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["status"]
    assert not OfferAccess.objects.filter(offer_id=offer_id).exists()
    response = world.clients["pub_p"].post("/api/v1/offer-access/", {"offer": offer_id})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "requested"


def test_a_publisher_cannot_request_someone_elses_name_or_a_private_offer(world):
    private = world.rows["offers"]["A_priv"]
    response = world.clients["pub_p"].post("/api/v1/offer-access/", {"offer": private})
    assert response.status_code == 400
    assert "offer" in response.json()["error"]["fields"]
    q_id = world.rows["publishers"]["Q"]
    body = {"offer": world.rows["offers"]["B_pub"], "publisher": q_id}
    response = world.clients["pub_p"].post("/api/v1/offer-access/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["publisher"]


def test_an_advertiser_cannot_set_its_status_or_allow_payout_above_revenue(world):
    a_id = world.rows["advertisers"]["A"]
    client = world.clients["adv_a"]
    response = client.patch(f"/api/v1/advertisers/{a_id}/", {"status": "inactive"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["status"]
    assert Advertiser.objects.get(id=a_id).status == "active"
    offer_id = world.rows["offers"]["A_pub"]
    body = {"allow_payout_above_revenue": True}
    response = client.patch(f"/api/v1/offers/{offer_id}/", body, format="json")
    assert response.status_code == 400
    assert not Offer.objects.get(id=offer_id).allow_payout_above_revenue


def test_an_advertiser_cannot_create_an_offer_for_another_advertiser(world):
    body = {
        "name": "Sneaky",
        "landing_url": "https://a.example/",
        "advertiser": world.rows["advertisers"]["B"],
    }
    response = world.clients["adv_a"].post("/api/v1/offers/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["advertiser"]
    del body["advertiser"]
    response = world.clients["adv_a"].post("/api/v1/offers/", body, format="json")
    assert response.status_code == 201, response.content
    assert (
        Offer.objects.get(id=response.json()["id"]).advertiser_id == world.rows["advertisers"]["A"]
    )


def test_an_advertiser_cannot_put_a_goal_on_another_advertisers_offer(world):
    body = {"offer": world.rows["offers"]["B_pub"], "name": "Lead", "ref": "lead"}
    response = world.clients["adv_a"].post("/api/v1/goals/", body, format="json")
    assert response.status_code == 400
    assert "offer" in response.json()["error"]["fields"]


def test_read_only_fields_such_as_secrets_and_ids_are_refused_too(world):
    a_id = world.rows["advertisers"]["A"]
    body = {"postback_secret_prefix": "pbs_mine"}
    response = world.clients["manager"].patch(f"/api/v1/advertisers/{a_id}/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["postback_secret_prefix"]
