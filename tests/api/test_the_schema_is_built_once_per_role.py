"""`/api/v1/schema/` is open to anyone and cost about 2 s of CPU per request to build and render:
each role's schema is now built once per process (config/schema_view.py). What must hold:
nothing a caller sends makes another copy, each role still gets its own, and what is served is
what drf-spectacular builds for that role.
"""

import json

import pytest
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from config import schema_view
from tests import factories
from tests.conftest import client_for


@pytest.fixture(autouse=True)
def nothing_kept_yet():
    schema_view._forget()
    yield
    schema_view._forget()


def built_for(user) -> dict:
    request = Request(APIRequestFactory().get("/api/v1/schema/"))
    request.user = user
    request.auth = None  # as tests/api/test_schemathesis.py: drf-spectacular's mock keeps the user
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request, True)))


def test_what_a_caller_adds_to_the_query_never_makes_another_copy(db):
    anonymous = APIClient()
    first = anonymous.get("/api/v1/schema/")
    assert first.status_code == 200
    for query in ({"lang": "de"}, {"lang": "x" * 40}, {"version": "9"}, {"cache": "bust-1"}):
        again = anonymous.get("/api/v1/schema/", query)
        assert again.status_code == 200
        assert again.content == first.content
    assert len(schema_view._served) == 1
    assert anonymous.get("/api/v1/schema/", {"format": "json"}).status_code == 200
    assert len(schema_view._served) == 2  # one per renderer


def test_each_role_is_served_its_own_schema_from_memory(db):
    manager = factories.ManagerFactory()
    advertiser = factories.AdvertiserUserFactory()
    served = {}
    for user in (manager, advertiser, manager, advertiser):
        response = client_for(user).get("/api/v1/schema/", {"format": "json"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
        served.setdefault(user.role, []).append(response.json())
    assert served["manager"][0] == served["manager"][1]
    assert served["advertiser"][0] == served["advertiser"][1]
    assert served["manager"][0] != served["advertiser"][0]
    # What is kept is what drf-spectacular builds for the role, not another role's copy.
    assert served["advertiser"][0] == built_for(advertiser)


def test_a_settings_change_forgets_the_kept_schemas(db):
    assert APIClient().get("/api/v1/schema/").status_code == 200
    assert schema_view._served
    with override_settings(API_KEY_THROTTLE_RATE=""):
        assert schema_view._served == {}
