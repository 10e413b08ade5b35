"""Values the schema types are the values the API takes (found by the schemathesis run): an
accounting period's month is YYYY-MM with a month 01-12 in ASCII digits, and an advertiser's
`ip_allowlist` is a list of address strings, not an untyped value."""

import re

import pytest

from tests import factories
from tests.api.public_schema import public_schema
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _schema() -> dict:
    return public_schema()


def _month_pattern() -> str:
    operation = _schema()["paths"]["/api/v1/accounting-periods/{month}/validate/"]["post"]
    (month,) = [p for p in operation["parameters"] if p["name"] == "month"]
    return month["schema"]["pattern"]


@pytest.mark.parametrize(
    # Arabic-Indic digits last: \d would have matched them, in the pattern and in the route.
    "month",
    ["2025-13", "2025-00", "0000-01", "2025-1", "\u0662\u0660\u0662\u0665-\u0660\u0661"],
)
def test_a_month_outside_the_pattern_is_refused_not_read(month):
    assert not re.match(_month_pattern(), month)
    finance = client_for(factories.FinanceUserFactory())
    response = finance.post(f"/api/v1/accounting-periods/{month}/validate/")
    # 400 where the route matched (the month is refused by name), 404 where it did not.
    assert response.status_code in (400, 404)


def test_a_month_the_pattern_accepts_is_read_as_that_month():
    assert re.match(_month_pattern(), "2025-03")
    finance = client_for(factories.FinanceUserFactory())
    listed = finance.get("/api/v1/accounting-periods/")
    assert listed.status_code == 200


def test_an_advertisers_ip_allowlist_is_a_list_of_address_strings():
    components = _schema()["components"]["schemas"]
    typed = components["Advertiser"]["properties"]["ip_allowlist"]
    assert typed["type"] == "array" and typed["items"]["type"] == "string"
    # The CIDR pattern is a request rule (core.api_fields.CidrField): answers are not held to it.
    for name in ("AdvertiserRequest", "PatchedAdvertiserRequest"):
        typed = components[name]["properties"]["ip_allowlist"]
        assert typed["type"] == "array" and typed["items"]["type"] == "string"
        assert re.match(typed["items"]["pattern"], "2001:db8::/32")
        assert re.match(typed["items"]["pattern"], "203.0.113.0/24")
    manager = client_for(factories.ManagerFactory())
    for value in ("203.0.113.0/24", {"cidr": "203.0.113.0/24"}, [1]):
        refused = manager.post(
            "/api/v1/advertisers/", {"name": "A", "ip_allowlist": value}, format="json"
        )
        assert refused.status_code == 400
        assert list(refused.json()["error"]["fields"]) == ["ip_allowlist"]
    created = manager.post(
        "/api/v1/advertisers/", {"name": "A", "ip_allowlist": ["203.0.113.0/24"]}, format="json"
    )
    assert (created.status_code, created.json()["ip_allowlist"]) == (201, ["203.0.113.0/24"])


def test_a_validated_month_is_answered_as_the_schema_writes_it():
    # Found by the schemathesis run: year 755 came back as "755-11", not a four-digit year, and
    # closed_by was null where the schema said a string.
    finance = client_for(factories.FinanceUserFactory())
    response = finance.post("/api/v1/accounting-periods/0755-11/validate/")
    assert response.status_code == 200, response.content
    period = response.json()
    answered = (period["month"], period["status"], period["closed_by"])
    assert answered == ("0755-11", "validated", None)
    documented = _schema()["components"]["schemas"]["AccountingPeriod"]["properties"]
    assert re.match(documented["month"]["pattern"], period["month"])
    assert documented["closed_by"]["nullable"] is True
