"""The billing endpoints answer what the schema documents (found by the schemathesis run):
amounts are decimal strings, a draft answers a plain array, an id in a body that names no row is
a 400 naming the field (404 is for a path), and a currency is one the schema lists."""

import re

import pytest

from tests import factories
from tests.api.public_schema import public_schema
from tests.billing.conftest import JUNE, conversion, june
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

SCHEMA = {}
NO_ROW = 2**31 - 1


def schema() -> dict:
    if not SCHEMA:
        SCHEMA.update(public_schema())
    return SCHEMA


def component(name: str) -> dict:
    return schema()["components"]["schemas"][name]


@pytest.fixture
def finance():
    return client_for(factories.FinanceUserFactory())


def test_a_draft_answers_an_array_of_invoices_with_amounts_as_strings(finance):
    advertiser = factories.AdvertiserFactory()
    conversion(goal=factories.GoalFactory(offer__advertiser=advertiser), revenue="20", at=june(2))
    built = finance.post(
        "/api/v1/invoices/",
        {"advertiser": advertiser.id, "period_start": JUNE.isoformat()},
        format="json",
    )
    assert built.status_code == 201
    documented = schema()["paths"]["/api/v1/invoices/"]["post"]["responses"]["201"]
    body = documented["content"]["application/json"]["schema"]
    assert body == {"type": "array", "items": {"$ref": "#/components/schemas/InvoiceDetail"}}
    (invoice,) = built.json()
    assert (invoice["total"], invoice["paid"], invoice["outstanding"]) == ("20.00", "0.00", "0.00")
    for name in ("charges", "credits", "total", "paid", "outstanding"):
        assert component("InvoiceDetail")["properties"][name]["type"] == "string"
    assert component("InvoiceLine")["properties"]["amount"]["type"] == "string"
    assert component("Payment")["properties"]["amount"]["type"] == "string"
    assert component("PayoutBatch")["properties"]["total"]["type"] == "string"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/v1/invoices/",
            {"advertiser": NO_ROW, "period_start": "2025-06-01"},
            "advertiser",
        ),
        (
            "/api/v1/invoice-payments/",
            {"invoice": NO_ROW, "amount": "1.00", "received_on": "2025-06-01"},
            "invoice",
        ),
        (
            "/api/v1/advertiser-top-ups/",
            {"advertiser": NO_ROW, "currency": "USD", "amount": "1.00"},
            "advertiser",
        ),
        (
            "/api/v1/advertiser-credit-limits/",
            {"advertiser": NO_ROW, "currency": "USD", "credit_limit": "0"},
            "advertiser",
        ),
        ("/api/v1/revenue-budgets/", {"offer": NO_ROW, "period": "day", "amount": "1"}, "offer"),
    ],
)
def test_an_id_in_a_body_that_names_no_row_is_a_400_naming_the_field(finance, path, body, field):
    response = finance.post(path, body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("does_not_exist", [field])
    # 404 is documented only where a path or a query names a row.
    assert "404" not in schema()["paths"][path]["post"]["responses"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/advertiser-top-ups/", {"amount": "1.00"}),
        ("/api/v1/advertiser-credit-limits/", {"credit_limit": "0"}),
    ],
)
def test_a_currency_the_schema_does_not_list_is_refused(finance, path, body):
    body = {**body, "advertiser": factories.AdvertiserFactory().id}
    request = schema()["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    listed = component(request["schema"]["$ref"].rsplit("/", 1)[-1])["properties"]["currency"]
    enum = component(listed["allOf"][0]["$ref"].rsplit("/", 1)[-1])["enum"]
    assert "USD" in enum and "ABC" not in enum and "usd" not in enum
    for currency in ("ABC", "usd"):
        refused = finance.post(path, {**body, "currency": currency}, format="json")
        assert refused.status_code == 400
        assert list(refused.json()["error"]["fields"]) == ["currency"]
    accepted = finance.post(path, {**body, "currency": "USD"}, format="json")
    assert accepted.status_code in (200, 201), accepted.content


def test_a_budget_that_rounds_to_nothing_is_refused_not_a_server_error(finance):
    # Found by the schemathesis run: 0.0001 USD rounds to 0.00 and met the table's check (500).
    offer = factories.OfferFactory(currency="USD")
    body = {"offer": offer.id, "period": "day", "amount": "0.0001"}
    refused = finance.post("/api/v1/revenue-budgets/", body, format="json")
    assert refused.status_code == 400
    assert list(refused.json()["error"]["fields"]) == ["amount"]
    body["amount"] = "0.01"
    assert finance.post("/api/v1/revenue-budgets/", body, format="json").status_code == 200


def test_an_empty_amount_is_refused_by_the_schema_as_by_the_api(finance):
    # Found by `make fuzz`: drf-spectacular's decimal pattern let "" through as valid.
    request = component("TopUpRecordRequest")["properties"]["amount"]
    for amount in ("", "-", "."):
        assert not re.match(request["pattern"], amount)
    assert re.match(request["pattern"], "12.50")
    body = {"advertiser": factories.AdvertiserFactory().id, "currency": "USD", "amount": ""}
    refused = finance.post("/api/v1/advertiser-top-ups/", body, format="json")
    assert (refused.status_code, list(refused.json()["error"]["fields"])) == (400, ["amount"])
