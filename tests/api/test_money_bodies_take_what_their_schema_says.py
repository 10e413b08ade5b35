"""`make fuzz` findings on the money endpoints, pinned: what a body's schema says (a currency of
the list, a decimal string of the field's sign, a JSON object, a day of 2000-2999) is what the API
takes, both ways, and a role no grant names is refused before its body is read."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.exceptions import ValidationError

from billing.models import FundsLimit, RevenueBudget
from core.api_shapes import (
    AMOUNT_PATTERNS,
    NotNegativeAmountField,
    NotZeroAmountField,
    PositiveAmountField,
    SignedAmountField,
)
from payouts.models import LedgerEntry
from tests import factories
from tests.api.public_schema import public_schema
from tests.conftest import client_for


@pytest.fixture
def finance(db):
    return client_for(factories.FinanceUserFactory())


def body_schema(schema, path, method="post"):
    content = schema["paths"][path][method]["requestBody"]["content"]
    body = next(iter(content.values()))["schema"]
    return schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]


def component(schema, node):
    node = node.get("allOf", [node])[0]
    reference = node.get("$ref", "")
    return schema["components"]["schemas"][reference.rsplit("/", 1)[-1]] if reference else node


def assert_refused(response, field):
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()


AMOUNTS = [
    "",
    " ",
    "-",
    ".",
    "0",
    "0.0",
    "-0",
    "00.000",
    "1",
    "1.",
    "-1.5",
    "0.000001",
    "12.3456789",
]
AMOUNTS += ["1" * 12, "1" * 13, "\u0661", "1e3", "NaN", "Infinity", "+1"]


@pytest.mark.parametrize(
    "field_class",
    [SignedAmountField, NotNegativeAmountField, PositiveAmountField, NotZeroAmountField],
)
@pytest.mark.parametrize("value", AMOUNTS)
def test_an_amount_field_takes_exactly_what_its_schema_pattern_allows(field_class, value):
    field = field_class(allow_null=True)
    allowed = re.search(AMOUNT_PATTERNS[field.sign], value) is not None
    try:
        taken = field.run_validation(value)
    except ValidationError:
        taken = None
    assert (taken is not None) == allowed, (field.sign, value, taken)
    if allowed:
        assert taken == Decimal(value)


def test_the_schema_states_the_money_bodies_rules(db):
    schema = public_schema()
    adjustment = body_schema(schema, "/api/v1/ledger-entries/adjustments/")["properties"]
    currencies = component(schema, adjustment["currency"])["enum"]
    assert "USD" in currencies and "usd" not in currencies
    assert adjustment["amount"]["pattern"] == AMOUNT_PATTERNS["not_zero"]
    build = body_schema(schema, "/api/v1/payout-batches/")["properties"]
    assert component(schema, build["currency"])["enum"] == currencies
    for path in ("/api/v1/advertiser-top-ups/", "/api/v1/invoice-payments/"):
        amount = body_schema(schema, path)["properties"]["amount"]
        assert amount["pattern"] == AMOUNT_PATTERNS["positive"]
    budget = body_schema(schema, "/api/v1/revenue-budgets/")["properties"]["amount"]
    assert budget["pattern"] == AMOUNT_PATTERNS["positive"] and budget["nullable"]
    limit = body_schema(schema, "/api/v1/advertiser-credit-limits/")["properties"]
    assert limit["credit_limit"]["pattern"] == AMOUNT_PATTERNS["not_negative"]
    change = body_schema(schema, "/api/v1/payout-details-changes/")["properties"]
    assert change["payout_details"]["type"] == "object"
    invoice = body_schema(schema, "/api/v1/invoices/")["properties"]
    assert invoice["period_start"]["pattern"] == invoice["period_end"]["pattern"] == "^2[0-9]{3}-"
    export = schema["paths"]["/api/v1/personal-data/export/"]["get"]["parameters"]
    assert next(p for p in export if p["name"] == "user")["schema"]["minimum"] == 1


def test_an_empty_credit_limit_is_refused_not_read_as_no_funds_control(finance):
    advertiser = factories.AdvertiserFactory()
    body = {"advertiser": advertiser.id, "currency": "USD", "credit_limit": "100"}
    assert finance.post("/api/v1/advertiser-credit-limits/", body, format="json").status_code == 200
    body["credit_limit"] = ""
    response = finance.post("/api/v1/advertiser-credit-limits/", body, format="json")
    assert_refused(response, "credit_limit")
    assert FundsLimit.objects.get(advertiser=advertiser).credit_limit == Decimal("100")


def test_an_empty_budget_is_refused_not_read_as_removing_it(finance):
    offer = factories.OfferFactory()
    body = {"offer": offer.id, "period": "day", "amount": "50"}
    assert finance.post("/api/v1/revenue-budgets/", body, format="json").status_code in (200, 201)
    response = finance.post("/api/v1/revenue-budgets/", body | {"amount": ""}, format="json")
    assert_refused(response, "amount")
    assert RevenueBudget.objects.filter(offer=offer).exists()


@pytest.mark.parametrize("amount", ["0", "0.00", "-5"])
def test_a_top_up_of_nothing_or_less_is_refused_by_its_pattern(finance, amount):
    advertiser = factories.AdvertiserFactory()
    body = {"advertiser": advertiser.id, "currency": "USD", "amount": amount}
    assert_refused(finance.post("/api/v1/advertiser-top-ups/", body, format="json"), "amount")


@pytest.mark.parametrize("currency", ["usd", "000", "-\u00e9 "])
def test_an_adjustment_or_batch_in_a_currency_off_the_list_is_refused(finance, currency):
    publisher = factories.PublisherFactory()
    body = {"publisher": publisher.id, "currency": currency, "amount": "5.00", "reason": "r"}
    response = finance.post("/api/v1/ledger-entries/adjustments/", body, format="json")
    assert_refused(response, "currency")
    response = finance.post("/api/v1/payout-batches/", {"currency": currency}, format="json")
    assert_refused(response, "currency")
    assert not LedgerEntry.objects.filter(publisher=publisher).exists()


def test_payout_details_must_be_a_json_object(finance):
    publisher = factories.PublisherFactory()
    body = {"publisher": publisher.id, "payout_method": "wire", "payout_details": [None, None]}
    response = finance.post("/api/v1/payout-details-changes/", body, format="json")
    assert_refused(response, "payout_details")


def test_an_advertiser_asking_to_change_payout_details_is_refused_before_its_body_is_read(db):
    advertiser = client_for(factories.AdvertiserUserFactory())
    body = {"publisher": 0, "payout_method": "wire", "payout_details": {}}
    response = advertiser.post("/api/v1/payout-details-changes/", body, format="json")
    assert response.status_code == 403, response.content


@pytest.mark.parametrize("user", ["0", "-3"])
def test_a_personal_data_export_of_user_below_one_is_refused(finance, user):
    response = finance.get(reverse("personal-data-export"), {"user": user})
    assert response.status_code == 400


def served_to(role):
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from accounts.models import User

    request = Request(APIRequestFactory().get("/api/v1/schema/"))
    request.user = User(username=f"schema-{role}", role=role)
    request.auth = None  # as tests/api/test_schemathesis.py: no key, so the user above stays
    return SchemaGenerator().get_schema(request=request, public=True)


@pytest.mark.parametrize(("role", "required"), [("finance", True), ("publisher", False)])
def test_staffs_payouts_publisher_is_required_in_the_schema_staff_is_served(db, role, required):
    for path in ("/api/v1/payouts/", "/api/v1/payouts/lines/", "/api/v1/payouts/payments/"):
        parameters = served_to(role)["paths"][path]["get"]["parameters"]
        publisher = next(p for p in parameters if p["name"] == "publisher")
        assert publisher.get("required", False) is required, (role, path)


def test_an_advertiser_uploading_a_tax_form_is_refused_before_its_body_is_read(db):
    advertiser = client_for(factories.AdvertiserUserFactory())
    response = advertiser.post("/api/v1/tax-forms/", {"kind": "w9"}, format="multipart")
    assert response.status_code == 403, response.content
