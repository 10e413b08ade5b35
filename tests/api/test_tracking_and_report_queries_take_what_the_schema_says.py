"""`make fuzz` findings on the tracking and report reads, pinned: what the schema offers as valid
is accepted, what it types otherwise is a 400 naming it, and the schema says each bound."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tests.api.public_schema import public_schema
from tests.conftest import client_for


@pytest.fixture
def manager(db):
    return client_for(factories.ManagerFactory())


@pytest.fixture
def schema(db):
    return public_schema()


def parameter(schema, path, name):
    return next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name)


def assert_refused(response, field):
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()


def test_an_empty_choice_the_schema_lists_is_no_filter(manager, schema):
    assert "" in parameter(schema, "/api/v1/clicks/", "fallback_reason")["schema"]["enum"]
    clicks = {factories.ClickFactory().click_id, factories.ClickFactory().click_id}
    response = manager.get("/api/v1/clicks/?fallback_reason=")
    assert response.status_code == 200, response.content
    assert {row["click_id"] for row in response.json()["results"]} == clicks


def test_the_audit_log_filters_are_typed_and_an_unknown_action_is_refused(manager, schema):
    path = "/api/v1/audit/"
    assert parameter(schema, path, "action")["schema"]["enum"] == ["", "create", "delete", "update"]
    assert "offers.terms" in parameter(schema, path, "model")["schema"]["enum"]
    assert parameter(schema, path, "actor")["schema"]["type"] == "integer"
    assert parameter(schema, path, "since")["schema"]["format"] == "date-time"
    assert_refused(manager.get(path, {"action": "network"}), "action")
    assert_refused(manager.get(path, {"actor": ""}), "actor")
    assert_refused(manager.get(path, {"since": "2026-01-01"}), "since")  # no time
    for valid in ({"action": ""}, {"model": ""}, {"until": "2026-01-01T00:00:00-23:59"}):
        assert manager.get(path, valid).status_code == 200, valid


def test_the_quality_report_refuses_empty_typed_values_and_bounds_its_ids(manager, schema):
    path = "/api/v1/reports/quality/"
    assert parameter(schema, path, "offer")["schema"]["maximum"] == 2**63 - 1
    assert_refused(manager.get(path, {"date_to": ""}), "date_to")
    assert_refused(manager.get(path, {"offer": ""}), "offer")
    # The default week before the first day there is starts on that day (it was an overflow).
    assert manager.get(path, {"date_to": "0001-01-02"}).status_code == 200


def test_creative_results_say_an_offer_id_starts_at_one(manager, schema):
    offer = parameter(schema, "/api/v1/creative-results/", "offer")
    assert (offer["required"], offer["schema"]["minimum"]) == (True, 1)
    assert_refused(manager.get("/api/v1/creative-results/", {"offer": 0}), "offer")
    known = factories.OfferFactory()
    response = manager.get(
        "/api/v1/creative-results/", {"offer": known.id, "date_to": "0001-01-02"}
    )
    assert response.status_code == 200, response.content


def test_reports_bound_their_limit_and_refuse_empty_typed_values(manager, schema):
    path = "/api/v1/reports/"
    limit = parameter(schema, path, "limit")["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 10_000)
    assert_refused(manager.get(path, {"limit": 0}), "limit")
    for name in ("limit", "date_from", "date_to"):
        assert_refused(manager.get(path, {name: ""}), name)
    assert manager.get(path, {"date_to": "0001-01-02"}).status_code == 200


def test_a_validation_csv_is_documented_as_a_multipart_file_or_json_text(manager, schema):
    content = schema["paths"]["/api/v1/validations/preview/"]["post"]["requestBody"]["content"]
    bodies = {
        media: schema["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[-1]]
        for media, body in content.items()
    }
    assert bodies["multipart/form-data"]["properties"]["file"]["format"] == "binary"
    assert list(bodies["application/json"]["properties"]) == ["csv"]
    upload = SimpleUploadedFile("v.csv", b"txn_id,decision,reason\nT-1,approve,\n")
    response = manager.post("/api/v1/validations/preview/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    text = manager.post("/api/v1/validations/preview/", {"csv": "txn_id,decision\n"}, format="json")
    assert text.status_code == 200, text.content
