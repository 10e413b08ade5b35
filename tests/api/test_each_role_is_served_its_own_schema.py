"""`make fuzz` findings, pinned: what the schema calls valid, the API accepts, for each role.

- A role is served its own schema (`/api/v1/schema/` with its key): an advertiser's lists only
  the body keys an advertiser may send, so a client (or the fuzzer) generated from it never
  sends a manager-only key as if it were valid. Without a key the manager's shape is served.
- A filter on an integer column documents the column's range: a value beyond it (2**63) is
  invalid by the schema, as the API answers (400 naming it); the largest value is accepted.
"""

import pytest

from tests import factories
from tests.conftest import client_for

BIGINT_MAX = 2**63 - 1


def served_schema(client) -> dict:
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200, response.content
    return response.json()


def request_keys(schema: dict, component: str) -> set[str]:
    return set(schema["components"]["schemas"][component]["properties"])


@pytest.fixture
def manager(db):
    return client_for(factories.ManagerFactory())


@pytest.fixture
def advertiser(db):
    return client_for(factories.AdvertiserUserFactory())


def test_an_advertiser_is_served_only_the_offer_keys_it_may_send(advertiser):
    keys = request_keys(served_schema(advertiser), "OfferRequest")
    assert "name" in keys
    assert not keys & {"advertiser", "allow_payout_above_revenue", "fallback_clicks_convert"}


def test_a_manager_is_served_the_manager_only_keys(manager):
    keys = request_keys(served_schema(manager), "OfferRequest")
    assert {"advertiser", "allow_payout_above_revenue", "fallback_clicks_convert"} <= keys


def test_a_goal_key_only_managers_may_send_is_absent_from_the_advertisers_schema(
    advertiser, manager
):
    assert "max_sale_amount" in request_keys(served_schema(manager), "GoalRequest")
    assert "max_sale_amount" not in request_keys(served_schema(advertiser), "GoalRequest")


def test_what_an_advertisers_schema_omits_the_api_refuses_from_it(advertiser):
    response = advertiser.post(
        "/api/v1/offers/",
        {"name": "Mine", "allow_payout_above_revenue": True},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "allow_payout_above_revenue" in response.json()["error"]["fields"]


def integer_filter(schema: dict, path: str, name: str) -> dict:
    parameters = schema["paths"][path]["get"]["parameters"]
    return next(p for p in parameters if p["name"] == name)["schema"]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/goals/", "offer_id"),
        ("/api/v1/adjustment-requests/", "publisher"),
        ("/api/v1/ledger-entries/", "publisher"),
    ],
)
def test_an_id_filter_documents_its_columns_range_and_the_api_keeps_to_it(manager, path, name):
    bounds = integer_filter(served_schema(manager), path, name)
    assert (bounds["minimum"], bounds["maximum"]) == (-(2**63), BIGINT_MAX)
    beyond = manager.get(path, {name: BIGINT_MAX + 1})
    assert beyond.status_code == 400, beyond.content
    assert name in beyond.json()["error"]["fields"]
    largest = manager.get(path, {name: BIGINT_MAX})
    assert largest.status_code == 200, largest.content
    assert largest.json()["results"] == []


def test_a_free_string_filter_says_it_carries_no_nul_as_the_api_refuses(advertiser):
    """`make fuzz`: currency=...%00... was schema-valid and answered 400 invalid_characters (a
    currency filter now lists its codes; `ordering` is a free string)."""
    parameters = served_schema(advertiser)["paths"]["/api/v1/adjustment-requests/"]["get"]
    ordering = next(p for p in parameters["parameters"] if p["name"] == "ordering")["schema"]
    assert ordering["pattern"] == "^[^\\x00]*$"
    refused = advertiser.get("/api/v1/adjustment-requests/", {"ordering": "i\x00d"})
    assert refused.status_code == 400, refused.content
    assert refused.json()["error"]["code"] == "invalid_characters"
