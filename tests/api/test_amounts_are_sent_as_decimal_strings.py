"""Amounts travel as decimal strings, both ways (decided on two `make fuzz` findings).

- A JSON number where the schema types a string was read as its text: `{"amount": 12.5}` was
  accepted. A JSON number is a binary float to most clients (0.1 + 0.2 is not 0.3), so an amount
  is a decimal string ("12.50"), as the API answers it; a number or boolean in any field the
  schema types as a string (an amount, a percent, a text) is refused with 400 `invalid` naming
  the field (core.api_shapes.numbers_for_strings_refuse), and the schema says so.
- "1.5" JPY is refused though the schema's pattern allows 6 decimal places: one pattern cannot
  follow the body's currency (JPY 0, USD 2, BHD 3). The field's description says it, and the
  schemathesis run's positive examples cut amounts to their currency's minor unit
  (tests/api/amounts.py, called by tests/api/test_schemathesis.py) so they are truly valid.
"""

import re

import pytest

from config.schema import DECIMAL_IN_A_BODY
from core.api_shapes import NUMBER_FOR_STRING
from tests import factories
from tests.api.amounts import amount_in_minor_units
from tests.api.public_schema import public_schema
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TOP_UPS = "/api/v1/advertiser-top-ups/"


@pytest.fixture
def finance():
    return client_for(factories.FinanceUserFactory())


def component(name: str) -> dict:
    return public_schema()["components"]["schemas"][name]


@pytest.mark.parametrize("amount", [12.5, 12, True])
def test_an_amount_sent_as_a_json_number_is_refused_naming_the_field(finance, amount):
    body = {"advertiser": factories.AdvertiserFactory().id, "currency": "USD", "amount": amount}
    refused = finance.post(TOP_UPS, body, format="json")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["code"], error["fields"]) == ("invalid", {"amount": [NUMBER_FOR_STRING]})
    assert finance.post(TOP_UPS, {**body, "amount": "12.50"}, format="json").status_code == 201


def test_a_number_for_a_text_field_is_refused_too(finance):
    body = {"advertiser": factories.AdvertiserFactory().id, "currency": "USD", "amount": "1.00"}
    refused = finance.post(TOP_UPS, {**body, "reference": 4711}, format="json")
    assert (refused.status_code, list(refused.json()["error"]["fields"])) == (400, ["reference"])


def test_a_role_shaped_model_body_refuses_a_number_for_an_amount():
    goal = factories.GoalFactory()
    manager = client_for(factories.ManagerFactory())
    path = f"/api/v1/goals/{goal.id}/"
    refused = manager.patch(path, {"max_sale_amount": 100}, format="json")
    assert (refused.status_code, list(refused.json()["error"]["fields"])) == (
        400,
        ["max_sale_amount"],
    )
    assert manager.patch(path, {"max_sale_amount": "100.00"}, format="json").status_code == 200


def test_every_decimal_of_a_request_body_says_a_number_is_refused():
    described = 0
    for name, schema in public_schema()["components"]["schemas"].items():
        for prop in schema.get("properties", {}).values():
            # A read-only decimal is never sent (RevenueCutRequest is a model's name, not a body).
            writable = not prop.get("readOnly")
            if name.endswith("Request") and prop.get("format") == "decimal" and writable:
                assert prop["type"] == "string"
                assert prop["description"].startswith(DECIMAL_IN_A_BODY), name
                described += 1
    assert described > 10


def test_more_places_than_jpy_has_are_refused_as_the_description_says(finance):
    amount = component("TopUpRecordRequest")["properties"]["amount"]
    assert re.match(amount["pattern"], "1.5")  # the pattern cannot follow the currency
    assert "0 for JPY" in amount["description"] and "refused" in amount["description"]
    body = {"advertiser": factories.AdvertiserFactory().id, "currency": "JPY", "amount": "1.5"}
    refused = finance.post(TOP_UPS, body, format="json")
    assert (refused.status_code, list(refused.json()["error"]["fields"])) == (400, ["amount"])
    assert finance.post(TOP_UPS, {**body, "amount": "2"}, format="json").status_code == 201


@pytest.mark.parametrize(
    ("currency", "amount", "cut"),
    [
        ("JPY", "1.5", "1"),
        ("BHD", "0.12345", "0.123"),
        ("USD", "-7.999", "-7.99"),
        ("XXY", "3.456", "3.45"),  # no known currency (an invoice's payment): 2 places
        ("JPY", "12", "12"),
    ],
)
def test_the_fuzzers_positive_amounts_keep_their_currencys_places(currency, amount, cut):
    body = {"currency": currency, "amount": amount}
    amount_in_minor_units(body)
    assert body["amount"] == cut
