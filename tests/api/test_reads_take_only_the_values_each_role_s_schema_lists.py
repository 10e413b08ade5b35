"""`make fuzz` findings on the reports, tracking and money reads, pinned both ways: what the schema
served to a role lists is accepted, and what it does not list is a 400 naming the parameter.

- Reports: `group_by`, `metrics` and `sort` are comma-separated lists of the names the caller's
  role may use (a pattern per role: an advertiser's has no sub ids, a publisher's no
  advertiser); a filter the role may not use takes only "" (no filter); `tz`, `currency` and
  `format` are enums. Blanks around a name, a lower-case currency or a '--' sort, which the
  shared parser read, are refused as the schema refuses them.
- A date filter (`invoices?period_start=`, `impression-reports?day=`) takes a YYYY-MM-DD date,
  not "" (which django-filter read as no filter) nor another spelling.
- A currency filter lists the ISO 4217 codes and "" (no filter); "usd" is refused, not a filter
  matching nothing.
- The clicks' `page_size` is a whole number of at least 1 (`null` was read as the default).
- A publisher's conversions schema offers no `advertiser` filter, which it is refused.
- A sandbox test conversion names a test click's id as the sandbox mints it (a pattern).
"""

import re

import pytest

from tests import factories
from tests.conftest import client_for


def served_schema(client) -> dict:
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200, response.content
    return response.json()


def parameter(schema: dict, path: str, name: str) -> dict:
    return next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name)


def assert_refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()


def valid(schema: dict, value: str) -> bool:
    """As a JSON Schema validator reads a parameter's enum or pattern."""
    if "enum" in schema:
        return value in schema["enum"]
    return re.search(schema["pattern"], value) is not None


@pytest.fixture
def manager(db):
    return client_for(factories.ManagerFactory())


@pytest.fixture
def advertiser(db):
    return client_for(factories.AdvertiserUserFactory())


@pytest.fixture
def publisher(db):
    return client_for(factories.PublisherUserFactory())


REPORTS = "/api/v1/reports/"


def test_each_role_s_report_schema_lists_the_dimensions_and_metrics_it_may_use(
    manager, advertiser, publisher
):
    mine = served_schema(advertiser)
    group_by = parameter(mine, REPORTS, "group_by")["schema"]
    assert valid(group_by, "day,offer,country") and valid(group_by, "")
    assert not valid(group_by, "day,sub1") and not valid(group_by, "day,hour")
    assert not valid(parameter(mine, REPORTS, "metrics")["schema"], "payout")
    assert parameter(mine, REPORTS, "sub2")["schema"]["enum"] == [""]
    assert not valid(
        parameter(served_schema(publisher), REPORTS, "group_by")["schema"], "advertiser"
    )
    staff = served_schema(manager)
    assert valid(parameter(staff, REPORTS, "group_by")["schema"], "hour,sub1,advertiser")
    assert valid(parameter(staff, REPORTS, "sort")["schema"], "-payout,day")
    assert not valid(parameter(staff, REPORTS, "sort")["schema"], "--payout")
    assert "Europe/Berlin" in parameter(staff, REPORTS, "tz")["schema"]["enum"]
    assert "usd" not in parameter(staff, REPORTS, "currency")["schema"]["enum"]
    # What each schema lists is answered; what it does not is a 400 naming the parameter.
    ok = advertiser.get(REPORTS, {"group_by": "day,offer", "metrics": "clicks", "sort": "-clicks"})
    assert ok.status_code == 200, ok.content
    assert advertiser.get(REPORTS, {"sub2": ""}).status_code == 200
    assert_refused(advertiser.get(REPORTS, {"sub2": "x"}), "sub2")
    assert_refused(advertiser.get(REPORTS, {"group_by": "sub1"}), "group_by")


def test_a_report_refuses_what_its_schema_refuses_even_where_the_shared_parser_reads_it(
    manager,
):
    for name, value in (
        ("group_by", "day, offer"),
        ("metrics", " clicks"),
        ("sort", "--clicks"),
        ("currency", "usd"),
        ("tz", " UTC"),
        ("basis", " click"),
        ("offer", "1, 2"),
    ):
        assert_refused(manager.get(REPORTS, {"metrics": "clicks", name: value}), name)
    for accepted in ({"currency": "USD"}, {"tz": "UTC"}, {"format": "csv"}, {"group_by": ""}):
        assert manager.get(REPORTS, accepted).status_code == 200, accepted


def test_a_date_filter_takes_a_date_and_not_an_empty_value(manager):
    for path, name in (
        ("/api/v1/invoices/", "period_start"),
        ("/api/v1/impression-reports/", "day"),
    ):
        assert_refused(manager.get(path, {name: ""}), name)
        assert_refused(manager.get(path, {name: "01/31/2026"}), name)
        assert manager.get(path, {name: "2026-01-31"}).status_code == 200


def test_a_currency_filter_takes_a_listed_code_or_nothing(manager):
    schema = parameter(served_schema(manager), "/api/v1/conversions/", "currency")["schema"]
    assert schema["enum"][0] == "" and "EUR" in schema["enum"] and "usd" not in schema["enum"]
    for path in ("/api/v1/conversions/", "/api/v1/invoices/", "/api/v1/ledger-entries/"):
        assert_refused(manager.get(path, {"currency": "usd"}), "currency")
        assert manager.get(path, {"currency": ""}).status_code == 200, path
        assert manager.get(path, {"currency": "USD"}).status_code == 200, path


def test_the_clicks_page_size_is_a_whole_number_of_at_least_one(manager):
    schema = parameter(served_schema(manager), "/api/v1/clicks/", "page_size")["schema"]
    assert (schema["type"], schema["minimum"]) == ("integer", 1)
    for refused in ("null", "0", ""):
        assert_refused(manager.get("/api/v1/clicks/", {"page_size": refused}), "page_size")
    assert manager.get("/api/v1/clicks/", {"page_size": "5"}).status_code == 200


def test_a_publisher_is_not_offered_the_conversion_filter_it_is_refused(publisher, manager):
    names = {
        p["name"]
        for p in served_schema(publisher)["paths"]["/api/v1/conversions/"]["get"]["parameters"]
    }
    assert "advertiser" not in names and "offer" in names
    assert "advertiser" in {
        p["name"]
        for p in served_schema(manager)["paths"]["/api/v1/conversions/"]["get"]["parameters"]
    }
    refused = publisher.get("/api/v1/conversions/", {"advertiser": 1})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "not_filterable"


def test_a_sandbox_conversion_names_a_test_click_id_as_the_schema_spells_it(manager):
    body = served_schema(manager)["components"]["schemas"]["SendRequest"]["properties"]
    pattern = body["click_id"]["pattern"]
    assert re.search(pattern, "01JABCDEFGTEST0123456789AB")
    assert not re.search(pattern, "01jabcdefgtest0123456789ab")  # upper case, as minted
    assert not re.search(pattern, "01JABCDEFGHJKM0123456789AB")  # no TEST mark
    for refused in ("01jabcdefgtest0123456789ab", "01JABCDEFGHJKM0123456789AB"):
        answer = manager.post("/api/v1/sandbox/conversions/", {"click_id": refused}, format="json")
        assert_refused(answer, "click_id")
    # A well-formed test click id that names no test click is a 404, as documented.
    missing = manager.post(
        "/api/v1/sandbox/conversions/", {"click_id": "01JABCDEFGTEST0123456789AB"}, format="json"
    )
    assert missing.status_code == 404, missing.content


def test_finance_is_served_a_tax_form_upload_that_names_its_publisher(db):
    """`make fuzz`: finance's upload without `publisher` was schema-valid and a 400 required."""
    finance = client_for(factories.FinanceUserFactory())
    body = served_schema(finance)["components"]["schemas"]["TaxFormUploadRequest"]
    assert "publisher" in body["required"]
    mine = served_schema(client_for(factories.PublisherUserFactory()))
    assert "publisher" not in mine["components"]["schemas"]["TaxFormUploadRequest"]["required"]


def test_an_impression_report_s_schema_leaves_out_what_its_answer_to_the_role_leaves_out(
    advertiser, publisher, manager
):
    """`make fuzz`: an advertiser's 201 had no payout_change, which its schema required."""

    def fields(client) -> set[str]:
        schema = served_schema(client)["components"]["schemas"]["ImpressionReport"]
        return set(schema["properties"]) | set(schema.get("required", []))

    assert "payout_change" not in fields(advertiser) and "revenue_change" in fields(advertiser)
    assert not {"revenue_change", "reported_by"} & fields(publisher)
    assert {"payout_change", "revenue_change", "reported_by"} <= fields(manager)
