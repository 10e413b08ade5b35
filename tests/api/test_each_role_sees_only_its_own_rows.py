"""The sweep: every role's key against every endpoint and method.

A role's list holds exactly the world rows it may see; every other row answers 404 to GET, PUT,
PATCH and DELETE (or 405 where the method is not offered at all), so ids do not leak. A role
that can see a row but may not change it gets 403. Publishers never see a revenue field.
"""

import pytest
from django.db import transaction

from tests.api.world import ROLES, UPDATERS, VISIBLE, build_world

ENDPOINTS = sorted(VISIBLE)
NOT_DELETABLE = {"advertisers", "offers", "publishers", "api-keys"}


@pytest.fixture(scope="module")
def world_of_the_module(django_db_setup, django_db_blocker):
    """Built once for the module (seconds) inside a transaction rolled back at its end; each test
    runs in a savepoint of its own (`db`), so a row one test changes or deletes is back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def world(world_of_the_module, db):
    return world_of_the_module


def names_by_id(world, endpoint):
    return {row_id: name for name, row_id in world.rows[endpoint].items()}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_list_holds_exactly_the_rows_the_role_may_see(world, endpoint):
    names = names_by_id(world, endpoint)
    for role in ROLES:
        response = world.clients[role].get(f"/api/v1/{endpoint}/", {"page_size": 500})
        assert response.status_code == 200, (role, response.content)
        seen = {names.get(row["id"], row["id"]) for row in response.json()["results"]}
        assert seen == VISIBLE[endpoint][role], (endpoint, role)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_foreign_row_is_not_found_for_every_method(world, endpoint):
    for role in ROLES:
        client = world.clients[role]
        for name, row_id in world.rows[endpoint].items():
            if name in VISIBLE[endpoint][role]:
                continue
            url = f"/api/v1/{endpoint}/{row_id}/"
            assert client.get(url).status_code == 404, (role, name)
            for method in (client.put, client.patch):
                code = method(url, {"name": "x"}, format="json").status_code
                assert code in (404, 405), (role, name, method.__name__, code)
            code = client.delete(url).status_code
            expected = 405 if endpoint in NOT_DELETABLE or endpoint == "api-keys" else 404
            assert code == expected, (role, name, "delete", code)


@pytest.mark.parametrize("endpoint", sorted(UPDATERS))
def test_a_visible_row_the_role_may_not_change_is_forbidden(world, endpoint):
    for role in ROLES:
        if role in UPDATERS[endpoint]:
            continue
        client = world.clients[role]
        for name in VISIBLE[endpoint][role]:
            row_id = world.rows[endpoint][name]
            response = client.patch(f"/api/v1/{endpoint}/{row_id}/", {}, format="json")
            assert response.status_code == 403, (role, name, response.content)
            assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("advertisers", {"name": "Mine now"}),
        ("publishers", {"name": "Mine now"}),
        (
            "overrides",
            {"publisher": 1, "offer": 1, "payout_kind": "cpa_flat", "payout_amount": "1"},
        ),
        ("terms", {"goal": 1, "revenue_kind": "cpa_flat", "revenue_amount": "1"}),
        ("caps", {"offer": 1, "limit": "5"}),
    ],
)
def test_roles_without_create_rights_are_forbidden_and_nothing_is_written(world, endpoint, body):
    creators = {
        "advertisers": {"manager"},
        "publishers": {"manager"},
        "overrides": {"manager"},
        "terms": {"manager", "adv_a", "adv_b"},
        "caps": {"manager", "adv_a", "adv_b"},
    }[endpoint]
    for role in set(ROLES) - creators:
        before = world.clients["manager"].get(f"/api/v1/{endpoint}/").json()["count"]
        response = world.clients[role].post(f"/api/v1/{endpoint}/", body, format="json")
        assert response.status_code == 403, (role, response.content)
        assert world.clients["manager"].get(f"/api/v1/{endpoint}/").json()["count"] == before


def keys_anywhere(payload):
    if isinstance(payload, dict):
        for key, value in payload.items():
            yield key
            yield from keys_anywhere(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from keys_anywhere(item)


@pytest.mark.parametrize("role", ["pub_p", "pub_q"])
def test_a_publisher_never_sees_revenue_urls_advertisers_or_secrets_anywhere(world, role):
    client = world.clients[role]
    bodies = []
    for endpoint in ENDPOINTS:
        bodies.append(client.get(f"/api/v1/{endpoint}/").json())
        for name in VISIBLE[endpoint][role]:
            bodies.append(client.get(f"/api/v1/{endpoint}/{world.rows[endpoint][name]}/").json())
    keys = set(keys_anywhere(bodies))
    assert not {key for key in keys if "revenue" in key}
    assert not keys & {"landing_url", "fallback_url", "advertiser", "postback_secret_prefix"}


def test_payout_details_are_shown_to_finance_and_the_publisher_itself_only(world):
    p_id = world.rows["publishers"]["P"]
    finance = world.clients["finance"].get(f"/api/v1/publishers/{p_id}/").json()
    own = world.clients["pub_p"].get(f"/api/v1/publishers/{p_id}/").json()
    assert finance["payout_details"] == own["payout_details"] != {}
    for role in ("adv_a", "adv_b", "pub_q"):
        assert world.clients[role].get(f"/api/v1/publishers/{p_id}/").status_code == 404


def test_a_publisher_sees_its_override_as_the_payout_of_the_offer(world):
    offers = world.clients["pub_p"].get("/api/v1/offers/").json()["results"]
    by_name = {offer["name"]: offer for offer in offers}
    assert by_name["A_pub"]["goals"][0]["payout_amount"] == "8.000000"  # its override
    assert by_name["B_pub"]["goals"][0]["payout_amount"] == "7.000000"  # the goal's terms
    assert by_name["A_appr"]["access"] == "requested"
    assert by_name["A_pub"]["access"] == "runnable"


def test_anonymous_requests_are_refused_with_the_error_shape(client):
    response = client.get("/api/v1/offers/")
    assert response.status_code in (401, 403)
    assert set(response.json()["error"]) == {"code", "message", "fields"}
