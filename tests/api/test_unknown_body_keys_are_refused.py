"""A body key an endpoint does not declare is refused (400 `not_writable`), and the schema says
so (`additionalProperties: false`), for every request body, so a client or a fuzzer reading the
schema never sends one as valid and the API never drops one in silence."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import spectacular_settings
from rest_framework import serializers

from accounts.api_roles import RoleFieldsSerializer
from core.api_shapes import StrictInputMixin
from tests import factories
from tests.api.public_schema import public_schema
from tests.conftest import client_for


def _schema() -> dict:
    return public_schema()


def test_every_request_body_in_the_schema_is_closed():
    schema = _schema()
    components = schema["components"]["schemas"]
    open_bodies = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                body = media["schema"]
                if "$ref" in body:
                    body = components[body["$ref"].rsplit("/", 1)[-1]]
                if body.get("properties") and body.get("additionalProperties") is not False:
                    open_bodies.append(f"{method.upper()} {path} ({media_type})")
    assert open_bodies == []


def test_every_request_serializer_refuses_keys_it_does_not_declare():
    # The other half of the promise: each body the schema documents comes from a serializer
    # that refuses an undeclared key. A new endpoint with a plain serializer fails here.
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    lenient = []
    for path, _regex, method, view in generator._get_paths_and_endpoints():
        if method not in ("POST", "PUT", "PATCH"):
            continue
        # As the generator's parse() does: a mock request, so views reading the user can answer.
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        view.schema.method, view.schema.path = method, path
        requested = view.schema.get_request_serializer()
        for serializer in requested.values() if isinstance(requested, dict) else [requested]:
            if isinstance(serializer, serializers.ListSerializer):
                serializer = serializer.child
            cls = serializer if isinstance(serializer, type) else type(serializer)
            if not issubclass(cls, serializers.BaseSerializer):
                continue
            if not issubclass(cls, (StrictInputMixin, RoleFieldsSerializer)):
                lenient.append(f"{method} {path}: {cls.__module__}.{cls.__name__}")
    assert lenient == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/advertiser-top-ups/",
        "/api/v1/advertiser-credit-limits/",
        "/api/v1/invoices/",
        "/api/v1/invoice-payments/",
        "/api/v1/revenue-budgets/",
    ],
)
def test_finance_sending_an_undeclared_key_is_refused_by_name(path):
    finance = client_for(factories.FinanceUserFactory())
    response = finance.post(path, {"nickname": "x"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("not_writable", ["nickname"])


@pytest.mark.django_db
def test_a_key_a_role_may_not_write_is_still_refused_as_before(manager_client):
    response = manager_client.post(
        "/api/v1/advertisers/", {"name": "A", "postback_secret_prefix": "x"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_writable"
