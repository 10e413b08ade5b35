"""The OpenAPI schema generates and validates with no warnings, and is served."""

import pytest
from django.core.management import call_command
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def test_the_foundation_endpoints_describe_themselves_without_warnings():
    """Offers, affiliates and `me` alone: kept clean whatever other areas' views do."""
    patterns = [
        path("api/v1/", include("offers.api.urls")),
        path("api/v1/", include("affiliates.api.urls")),
    ]
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    validate_schema(schema)
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    assert warnings == {}
    assert "/api/v1/api-keys/{id}/revoke/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"


def test_the_whole_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns any warning (or error) anywhere in the project into a failure.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    assert "/api/v1/offers/" in (tmp_path / "schema.yaml").read_text()


@pytest.mark.django_db
def test_the_schema_and_docs_are_served(manager_client):
    assert manager_client.get("/api/v1/schema/").status_code == 200
    assert manager_client.get("/api/v1/docs/").status_code == 200
