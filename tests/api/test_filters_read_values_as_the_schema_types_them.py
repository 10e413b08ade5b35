"""`make fuzz` findings, pinned: a filter value the schema types differently is a 400 naming it,
a value the schema allows is accepted, and the schema says what each role must send."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from tests import factories
from tests.api.public_schema import public_schema
from tests.conftest import client_for


@pytest.fixture
def manager(db):
    return client_for(factories.ManagerFactory())


@pytest.fixture
def schema(db):
    return public_schema()


def assert_refused(response, field):
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()


# Invalid values that were accepted (django-filter read them leniently, or ignored them).
@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/clicks/?created_after=2026-01-01", "created_after"),  # a date, no time
        ("/api/v1/clicks/?created_after=2026-01-01T00:00:00", "created_after"),  # no offset
        ("/api/v1/conversions/?created_before=2026-01-01 00:00:00Z", "created_before"),
        ("/api/v1/callbacks/?received_after=", "received_after"),
        ("/api/v1/goals/?offer_id=1.0", "offer_id"),
        ("/api/v1/goals/?offer_id=1e3", "offer_id"),
        ("/api/v1/goals/?offer_id=", "offer_id"),
        ("/api/v1/offers/?id=%EF%BC%91", "id"),  # a full-width digit
        ("/api/v1/goals/?is_default=yes", "is_default"),
        ("/api/v1/goals/?is_default=1", "is_default"),
        ("/api/v1/api-keys/?active=", "active"),
        ("/api/v1/ledger-entries/?publisher=1.5", "publisher"),
        ("/api/v1/advertisers/?status=", "status"),  # an enum: empty is none of its values
    ],
)
def test_a_filter_value_of_another_type_is_refused_naming_it(manager, url, field):
    assert_refused(manager.get(url), field)


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T00:00:00Z",
        "2026-01-01t00:00:00z",
        "2026-01-01T00:00:00.1234567891+05:30",
        "2026-01-01T00:00:00-14:00",
        # Offsets PostgreSQL refuses (past 15:59) answered 500: values are compared in UTC.
        "1061-03-05T00:00:00+17:47",
        "2026-01-01T00:00:00-23:59",
    ],
)
def test_any_rfc3339_date_time_is_accepted(manager, value):
    response = manager.get("/api/v1/clicks/", {"created_after": value})
    assert response.status_code == 200, response.content


def test_a_date_time_with_a_large_offset_means_the_same_instant_in_utc(manager):
    click = factories.ClickFactory(created_at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    # 10:00 UTC is 03:47 the next day at +17:47.
    found = [
        manager.get("/api/v1/clicks/", {"created_after": after}).json()["results"]
        for after in ("2026-03-02T03:46:00+17:47", "2026-03-02T03:48:00+17:47")
    ]
    assert [[row["click_id"] for row in rows] for rows in found] == [[click.click_id], []]


# Valid requests that were refused.
@pytest.mark.parametrize(
    "url", ["/api/v1/adjustment-requests/?publisher=0", "/api/v1/ledger-entries/?publisher=99999"]
)
def test_a_foreign_key_filter_naming_no_row_matches_nothing(manager, url):
    response = manager.get(url)
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []


def test_page_size_zero_is_refused_and_the_schema_says_so(manager, schema):
    assert_refused(manager.get("/api/v1/advertisers/", {"page_size": 0}), "page_size")
    parameters = schema["paths"]["/api/v1/advertisers/"]["get"]["parameters"]
    page_size = next(p for p in parameters if p["name"] == "page_size")
    assert page_size["schema"]["minimum"] == 1


def test_request_bodies_are_documented_as_json_unless_they_upload_a_file(schema):
    # A multipart body cannot say null for ip_allowlist, yet the schema offered multipart.
    assert list(schema["paths"]["/api/v1/advertisers/"]["post"]["requestBody"]["content"]) == [
        "application/json"
    ]
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            content = operation.get("requestBody", {}).get("content", {})
            assert "application/x-www-form-urlencoded" not in content
            # multipart only where an operation declares it for a file (tax forms; validations
            # beside their JSON body of the CSV's text): a body with a binary field
            multipart = content.get("multipart/form-data")
            if multipart is not None:
                reference = multipart["schema"]["$ref"].rsplit("/", 1)[-1]
                fields = schema["components"]["schemas"][reference]["properties"].values()
                assert any(field.get("format") == "binary" for field in fields)


@pytest.mark.parametrize("name", ["payouts", "payouts-lines", "payouts-payments"])
def test_staff_must_name_the_publisher_of_payouts_and_the_schema_says_so(manager, schema, name, db):
    url = reverse(name)
    parameter = next(
        p for p in schema["paths"][url]["get"]["parameters"] if p["name"] == "publisher"
    )
    assert parameter["x-required-for-roles"] == ["finance", "manager"]
    assert parameter["schema"]["minimum"] == 1
    finance = client_for(factories.FinanceUserFactory())
    publisher = factories.PublisherFactory()
    for staff in (manager, finance):
        assert_refused(staff.get(url), "publisher")
        assert_refused(staff.get(url, {"publisher": -1}), "publisher")
        assert staff.get(url, {"publisher": publisher.id}).status_code == 200
    own = client_for(factories.PublisherUserFactory(publisher=publisher))
    assert own.get(url).status_code == 200
