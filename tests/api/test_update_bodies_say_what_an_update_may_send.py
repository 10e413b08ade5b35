"""`make fuzz` findings, pinned: an update body's schema offers only what an update may send.

- A field fixed once a row is created (a goal's offer, terms' goal, a cap's offer: `create_only`)
  is refused on PUT/PATCH (400 `not_writable`), so the update body is its own component without
  it (`GoalUpdateRequest`, `PatchedGoalUpdateRequest`); the create body keeps it.
- A free string of a request body says it carries no NUL (`^[^\\x00]*$`), as the API refuses
  one (400 `invalid_characters`).
"""

import pytest

from tests import factories
from tests.conftest import client_for


def served_schema(client) -> dict:
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200, response.content
    return response.json()


def body_component(schema: dict, path: str, method: str) -> dict:
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]


@pytest.fixture
def user(db):
    return factories.AdvertiserUserFactory()


@pytest.fixture
def advertiser(user):
    return client_for(user)


@pytest.mark.parametrize(
    ("endpoint", "fixed"), [("goals", "offer"), ("terms", "goal"), ("caps", "offer")]
)
def test_an_update_body_omits_the_field_fixed_at_creation(advertiser, endpoint, fixed):
    schema = served_schema(advertiser)
    assert fixed in body_component(schema, f"/api/v1/{endpoint}/", "post")["properties"]
    for method in ("put", "patch"):
        update = body_component(schema, f"/api/v1/{endpoint}/{{id}}/", method)
        assert fixed not in update["properties"]
        assert update["additionalProperties"] is False


def test_the_api_refuses_the_field_an_update_body_omits(advertiser, user):
    goal = factories.GoalFactory(offer__advertiser=user.advertiser)
    other = factories.OfferFactory(advertiser=goal.offer.advertiser)
    response = advertiser.patch(f"/api/v1/goals/{goal.id}/", {"offer": other.id}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "not_writable"


def test_a_free_body_string_says_it_carries_no_nul_and_the_api_refuses_one(advertiser):
    name = body_component(served_schema(advertiser), "/api/v1/offers/", "post")["properties"][
        "name"
    ]
    assert name["pattern"] == "^[^\\x00]*$"
    response = advertiser.post("/api/v1/offers/", {"name": "a\x00b"}, format="json")
    assert response.status_code == 400, response.content
    assert "name" in response.json()["error"]["fields"]
