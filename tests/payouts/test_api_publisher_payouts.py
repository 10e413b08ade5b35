"""/api/v1/payouts/: a publisher sees its own balance, lines and payments, nobody else's."""

from decimal import Decimal

import pytest
from django.test import override_settings

from payouts.services import payout_batch_build, payout_batch_mark_paid
from tests import factories
from tests.conftest import client_for
from tests.payouts.conftest import approve, days_ago, entry_write

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_publisher(finance, finance2):
    publisher = factories.PublisherFactory(minimum_payout=Decimal("10"), hold_days=7)
    entry_write(publisher=publisher, amount="30.00", at=days_ago(10))
    entry_write(publisher=publisher, amount="1500", currency="JPY", at=days_ago(1))
    with override_settings(PAYOUT_HOLD_DAYS=0):
        batch = payout_batch_build(currency="USD", built_by=finance)
    approve(batch_id=batch.id, approved_by=finance2)
    payout_batch_mark_paid(batch_id=batch.id, paid_by=finance)
    entry_write(publisher=publisher, amount="4.50", at=days_ago(8))
    return publisher


def test_a_publisher_sees_its_balance_lines_and_payments(paid_publisher):
    user = factories.PublisherUserFactory(publisher=paid_publisher)
    body = client_for(user).get("/api/v1/payouts/").json()

    assert body["balances"] == [
        {"currency": "JPY", "total": "1500", "eligible": "0", "held": "1500", "in_batches": "0"},
        {
            "currency": "USD",
            "total": "4.50",
            "eligible": "4.50",
            "held": "0.00",
            "in_batches": "0.00",
        },
    ]
    assert [(line["amount"], line["batch_status"]) for line in body["lines"]] == [("30.00", "paid")]
    assert [(p["kind"], p["amount"]) for p in body["payments"]] == [("payment", "-30.00")]
    assert "created_by" not in body["payments"][0]
    assert client_for(user).get("/api/v1/payouts/lines/").json()["count"] == 1
    assert client_for(user).get("/api/v1/payouts/payments/").json()["count"] == 1


def test_a_publisher_cannot_look_at_another_publisher(paid_publisher):
    stranger = factories.PublisherUserFactory()
    client = client_for(stranger)
    body = client.get(f"/api/v1/payouts/?publisher={paid_publisher.id}").json()
    assert (body["publisher"], body["balances"], body["lines"]) == (stranger.publisher_id, [], [])
    assert client.get("/api/v1/ledger-entries/").json()["count"] == 0


def test_staff_name_the_publisher_and_advertisers_are_refused(paid_publisher, finance):
    staff = client_for(finance)
    assert staff.get("/api/v1/payouts/").json()["error"]["code"] == "required"
    assert staff.get(f"/api/v1/payouts/?publisher={paid_publisher.id}").json()["lines"]
    assert staff.get("/api/v1/payouts/?publisher=999999").status_code == 404
    advertiser = client_for(factories.AdvertiserUserFactory())
    for path in ("/api/v1/payouts/", "/api/v1/payouts/lines/", "/api/v1/ledger-entries/"):
        assert advertiser.get(path).status_code == 403


def test_finance_adjusts_with_a_reason_and_publishers_cannot(paid_publisher, finance):
    body = {
        "publisher": paid_publisher.id,
        "currency": "USD",
        "amount": "-1.25",
        "reason": "chargeback fee",
    }
    created = client_for(finance).post(
        "/api/v1/ledger-entries/adjustments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert created.status_code == 201
    assert (created.json()["amount"], created.json()["kind"]) == ("-1.25", "adjustment")
    again = client_for(finance).post(
        "/api/v1/ledger-entries/adjustments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert again.json()["id"] == created.json()["id"]
    unrounded = client_for(finance).post(
        "/api/v1/ledger-entries/adjustments/", {**body, "amount": "1.255"}, format="json"
    )
    assert unrounded.json()["error"]["code"] == "not_rounded"
    no_reason = client_for(finance).post(
        "/api/v1/ledger-entries/adjustments/", {**body, "reason": " "}, format="json"
    )
    assert no_reason.status_code == 400
    publisher_user = factories.PublisherUserFactory(publisher=paid_publisher)
    refused = client_for(publisher_user).post(
        "/api/v1/ledger-entries/adjustments/", body, format="json"
    )
    assert refused.status_code == 403
