"""`make fuzz` findings, pinned: an update body's schema offers only what an update may send.

- A field fixed once a row is created (a goal's offer, terms' goal, a cap's offer: `create_only`)
  is refused on PUT/PATCH (400 `not_writable`), so the update body is its own component without
  it (`GoalUpdateRequest`, `PatchedGoalUpdateRequest`); the create body keeps it.
- A free string of a request body says it carries no NUL (`^[^\\x00]*$`), as the API refuses
  one (400 `invalid_characters`).
"""

import re

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


def test_a_decision_whose_note_is_not_text_is_refused_and_nothing_is_decided(db):
    access = factories.OfferAccessFactory()
    manager = client_for(factories.ManagerFactory())
    response = manager.post(
        f"/api/v1/offer-access/{access.id}/approve/", {"note": {"a": 1}}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "note" in response.json()["error"]["fields"]
    access.refresh_from_db()
    assert access.status == "requested"


@pytest.mark.parametrize(
    ("path", "field", "good", "bad"),
    [
        ("/api/v1/offers/", "landing_url", "https://x.example/?c={click_id}", "0"),
        ("/api/v1/offers/", "landing_url", "http://x.example/", "http://x.example/{nope}"),
        ("/api/v1/offers/", "currency", "EUR", "|"),
        ("/api/v1/landing-variants/", "url", "https://x.example/b", "ftp://x.example/"),
        ("/api/v1/caps/", "limit", "0.5", "0"),
        ("/api/v1/creatives/", "kind", "banner", "0"),
        ("/api/v1/offer-targeting/", "time_zone", "Europe/Berlin", "0"),
    ],
)
def test_the_schema_refuses_what_the_api_refuses(advertiser, path, field, good, bad):
    schema = served_schema(advertiser)
    prop = body_component(schema, path, "post")["properties"][field]
    # An enum drf-spectacular made a component of ($ref, or allOf/oneOf with one).
    refs = re.findall(r"#/components/schemas/(\w+)", str(prop))
    if refs and "pattern" not in prop:
        prop = schema["components"]["schemas"][refs[0]]
    if "enum" in prop:
        assert good in prop["enum"] and bad not in prop["enum"]
    else:
        assert re.search(prop["pattern"], good) and not re.search(prop["pattern"], bad)


def test_the_advertisers_cidrs_pattern_refuses_what_is_no_address(advertiser):
    component = body_component(served_schema(advertiser), "/api/v1/advertisers/{id}/", "put")
    pattern = component["properties"]["ip_allowlist"]["items"]["pattern"]
    for good in ("203.0.113.0/24", "2001:db8::/32", "::1"):
        assert re.search(pattern, good)
    for bad in ("dd3A97f0:E:9011d:2b8cE0bdb0a39B077Db/0", "1.2.3.4/33", "01.2.3.4"):
        assert not re.search(pattern, bad)
