"""A few API basics that must also hold on the embedded SQLite mode (marked `sqlite`)."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests import factories
from tests.conftest import client_for


@pytest.mark.sqlite
@pytest.mark.django_db
def test_the_models_have_no_missing_migrations():
    out = StringIO()
    call_command(
        "makemigrations", "offers", "affiliates", "accounts", "--check", "--dry-run", stdout=out
    )


@pytest.mark.sqlite
@pytest.mark.django_db
def test_an_advertiser_creates_an_offer_with_a_goal_and_revenue_a_manager_sets_the_payout():
    advertiser = client_for(factories.AdvertiserUserFactory())
    publisher = client_for(factories.PublisherUserFactory())
    manager = client_for(factories.ManagerFactory())
    offer = advertiser.post(
        "/api/v1/offers/",
        {"name": "Shoes", "landing_url": "https://shoes.example/?c={click_id}", "currency": "EUR"},
        format="json",
    )
    assert offer.status_code == 201, offer.content
    goal = advertiser.post(
        "/api/v1/goals/",
        {"offer": offer.json()["id"], "name": "Sale", "ref": "sale"},
        format="json",
    )
    assert goal.status_code == 201 and goal.json()["is_default"] is True
    terms = advertiser.post(
        "/api/v1/terms/",
        {
            "goal": goal.json()["id"],
            "revenue_kind": "revshare",
            "revenue_percent": "20",
        },
        format="json",
    )
    assert terms.status_code == 201, terms.content
    listed = publisher.get("/api/v1/offers/").json()["results"]
    assert [o["goals"][0]["payout_percent"] for o in listed] == [None]  # no payout yet
    payout = {"payout_kind": "revshare", "payout_percent": "15"}
    response = manager.patch(f"/api/v1/terms/{terms.json()['id']}/", payout, format="json")
    assert response.status_code == 200, response.content
    listed = publisher.get("/api/v1/offers/").json()["results"]
    assert [o["goals"][0]["payout_percent"] for o in listed] == ["15.0000"]
    assert "revenue_percent" not in repr(listed)


@pytest.mark.sqlite
@pytest.mark.django_db
def test_bad_input_and_revoked_keys_behave_the_same_on_sqlite():
    manager = client_for(factories.ManagerFactory())
    response = manager.post(
        "/api/v1/advertisers/", {"name": "A", "ip_allowlist": ["1.2.3"]}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["ip_allowlist"]
    created = manager.post("/api/v1/api-keys/", {}, format="json").json()
    manager.post(f"/api/v1/api-keys/{created['id']}/revoke/")
    other = client_for(factories.ManagerFactory())
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {created['key']}")
    assert other.get("/api/v1/me/").status_code == 401
