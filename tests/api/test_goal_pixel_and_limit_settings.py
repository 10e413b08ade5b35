"""Goal pixel settings are the advertiser's (its own site); the sale amount limit of a goal and
whether fallback clicks convert are the network's (managers only)."""

from tests import factories
from tests.conftest import client_for


def test_an_advertiser_enables_its_goal_s_pixel_for_its_domains(db):
    goal = factories.GoalFactory()
    api = client_for(factories.AdvertiserUserFactory(advertiser=goal.offer.advertiser))
    response = api.patch(
        f"/api/v1/goals/{goal.id}/",
        {"pixel_enabled": True, "pixel_domains": ["shop.example"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["pixel_enabled"], response.json()["pixel_domains"]) == (
        True,
        ["shop.example"],
    )


def test_a_pixel_needs_its_domains_named_as_host_names(db):
    goal = factories.GoalFactory()
    api = client_for(factories.AdvertiserUserFactory(advertiser=goal.offer.advertiser))
    url = f"/api/v1/goals/{goal.id}/"
    response = api.patch(url, {"pixel_enabled": True}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["pixel_domains"]
    response = api.patch(
        url, {"pixel_enabled": True, "pixel_domains": ["https://shop.example/"]}, format="json"
    )
    assert response.status_code == 400


def test_only_managers_set_a_goal_s_amount_limit_and_fallback_conversions(db):
    goal = factories.GoalFactory()
    advertiser_api = client_for(factories.AdvertiserUserFactory(advertiser=goal.offer.advertiser))
    refused = advertiser_api.patch(
        f"/api/v1/goals/{goal.id}/", {"max_sale_amount": "99999"}, format="json"
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "not_writable")
    refused = advertiser_api.patch(
        f"/api/v1/offers/{goal.offer.id}/", {"fallback_clicks_convert": True}, format="json"
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "not_writable")

    manager_api = client_for(factories.ManagerFactory())
    response = manager_api.patch(
        f"/api/v1/goals/{goal.id}/", {"max_sale_amount": "500"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["max_sale_amount"].startswith("500")
    response = manager_api.patch(
        f"/api/v1/offers/{goal.offer.id}/", {"fallback_clicks_convert": True}, format="json"
    )
    assert (response.status_code, response.json()["fallback_clicks_convert"]) == (200, True)
