"""The status postback (POST /api/v1/conversion-status/): an advertiser's server approves,
rejects or reverses one of its conversions by txn_id, authenticated like the conversion
postback (token or signature of the postback secret) or by an advertiser user's API key;
idempotent; another advertiser's txn is not found; the reversal window and the closed period
rules of monthly validation apply, since it is the same service."""

import json
import time
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from offers.models import Goal
from offers.services import advertiser_postback_secret_set
from payouts.models import LedgerEntry
from tests import factories
from tests.conftest import client_for
from tests.payouts.conftest import entry_write
from tests.payouts.test_period_close import closed, conversion_booked_in, months_ago
from tracking.callbacks.auth import canonical_request, signature_v2_compute
from tracking.models import Conversion, ConversionHistory

pytestmark = pytest.mark.django_db

URL = "/api/v1/conversion-status/"
SECRET = "pbs_status-postback-test-secret"


@pytest.fixture
def goal() -> Goal:
    advertiser = factories.AdvertiserFactory()
    advertiser_postback_secret_set(advertiser=advertiser, raw=SECRET)
    return factories.TermsFactory(goal__offer__advertiser=advertiser).goal


def _conversion(goal: Goal, txn_id: str = "order-1", **fields) -> Conversion:
    conversion = factories.ConversionFactory(goal=goal, advertiser_txn_id=txn_id, **fields)
    if conversion.status == Conversion.Status.APPROVED:
        entry_write(
            publisher=conversion.publisher,
            amount=conversion.payout,
            conversion_id=conversion.pk,
            offer_id=conversion.offer_id,
        )
    return conversion


def _post(goal: Goal, token: str = SECRET, **body):
    return APIClient().post(
        URL, {"advertiser": goal.offer.advertiser_id, "token": token, **body}, format="json"
    )


def test_an_advertiser_reverses_a_conversion_by_txn_id_with_its_token(goal):
    conversion = _conversion(goal)
    response = _post(goal, txn_id="order-1", decision="reverse", reason="returned")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "conversion": conversion.pk,
        "txn_id": "order-1",
        "previous_status": "approved",
        "status": "reversed",
        "changed": True,
        "message": "Approved to reversed.",
    }
    assert "payout" not in response.content.decode()
    assert Conversion.objects.get(pk=conversion.pk).status == "reversed"
    entries = LedgerEntry.objects.filter(conversion=conversion).order_by("id")
    assert [(e.kind, e.amount) for e in entries] == [
        ("earning", Decimal("7.00")),
        ("reversal", Decimal("-7.00")),
    ]
    history = ConversionHistory.objects.get(conversion=conversion)
    assert (history.actor_id, history.reason) == (None, "returned (status postback)")


def test_a_repeated_status_postback_changes_nothing(goal):
    conversion = _conversion(goal)
    first = _post(goal, txn_id="order-1", decision="reverse", reason="returned")
    again = _post(goal, txn_id="order-1", decision="reverse", reason="returned")
    assert first.status_code == again.status_code == 200
    assert (again.json()["changed"], again.json()["status"]) == (False, "reversed")
    assert LedgerEntry.objects.filter(conversion=conversion).count() == 2
    assert ConversionHistory.objects.filter(conversion=conversion).count() == 1


def test_an_advertiser_approves_and_rejects_conversions_held_for_it(goal):
    held = dict(status="pending", reject_reason="advertiser_approval", payout=Decimal("7.00"))
    to_approve = _conversion(goal, "order-2", **held)
    to_reject = _conversion(goal, "order-3", **held)
    assert _post(goal, txn_id="order-2", decision="approve").json()["status"] == "approved"
    assert LedgerEntry.objects.get(conversion=to_approve).amount == Decimal("7.00")
    response = _post(goal, txn_id="order-3", decision="reject", reason="test order")
    assert response.json()["status"] == "rejected"
    assert not LedgerEntry.objects.filter(conversion=to_reject).exists()


def test_another_advertisers_txn_id_is_not_found_and_unchanged(goal):
    other = factories.TermsFactory().goal
    theirs = _conversion(other, "order-1")
    response = _post(goal, txn_id="order-1", decision="reverse", reason="not mine")
    assert response.status_code == 404
    assert Conversion.objects.get(pk=theirs.pk).status == "approved"


def test_another_advertisers_id_with_my_secret_is_refused(goal):
    other_goal = factories.TermsFactory().goal
    advertiser_postback_secret_set(advertiser=other_goal.offer.advertiser, raw="pbs_theirs-123")
    theirs = _conversion(other_goal, "order-9")
    response = _post(other_goal, txn_id="order-9", decision="reverse", reason="x")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_token"
    assert Conversion.objects.get(pk=theirs.pk).status == "approved"


def test_a_missing_or_wrong_secret_is_refused_and_changes_nothing(goal):
    conversion = _conversion(goal)
    wrong = _post(goal, token="pbs_guess", txn_id="order-1", decision="reverse", reason="x")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "bad_token")
    body = {"advertiser": goal.offer.advertiser_id, "txn_id": "order-1", "decision": "reverse"}
    missing = APIClient().post(URL, {**body, "reason": "x"}, format="json")
    assert (missing.status_code, missing.json()["error"]["code"]) == (403, "missing_auth")
    assert Conversion.objects.get(pk=conversion.pk).status == "approved"


def test_a_signed_status_postback_is_accepted_and_a_tampered_one_refused(goal):
    conversion = _conversion(goal)
    params = {
        "advertiser": str(goal.offer.advertiser_id),
        "txn_id": "order-1",
        "decision": "reverse",
        "reason": "chargeback",
    }
    timestamp = str(int(time.time()))
    canonical = canonical_request(method="POST", path=URL, params=list(params.items()))
    signature = signature_v2_compute(secret=SECRET, timestamp=timestamp, canonical=canonical)
    headers = {"HTTP_X_AFFNET_SIGNATURE": f"v2={signature}", "HTTP_X_AFFNET_TIMESTAMP": timestamp}

    tampered = {**params, "txn_id": "order-2"}
    _conversion(goal, "order-2")
    refused = APIClient().post(
        URL, urlencode(tampered), content_type="application/x-www-form-urlencoded", **headers
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "bad_signature")

    response = APIClient().post(
        URL, urlencode(params), content_type="application/x-www-form-urlencoded", **headers
    )
    assert response.status_code == 200, response.content
    assert Conversion.objects.get(pk=conversion.pk).status == "reversed"


def test_the_advertisers_ip_allowlist_applies(goal):
    advertiser = goal.offer.advertiser
    advertiser.ip_allowlist = ["203.0.113.0/24"]
    advertiser.save()
    _conversion(goal)
    response = _post(goal, txn_id="order-1", decision="reverse", reason="x")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "ip_not_allowed")


def test_a_reversal_outside_the_offers_reversal_window_is_a_managers(goal):
    conversion = _conversion(goal)
    Conversion.objects.filter(pk=conversion.pk).update(
        created_at=timezone.now() - timedelta(days=goal.offer.reversal_window_days + 1)
    )
    response = _post(goal, txn_id="order-1", decision="reverse", reason="late chargeback")
    assert response.status_code == 403
    assert "reversal window" in response.json()["error"]["message"]
    assert Conversion.objects.get(pk=conversion.pk).status == "approved"


def test_a_transition_the_status_does_not_allow_is_a_409(goal):
    _conversion(goal)
    response = _post(goal, txn_id="order-1", decision="reject", reason="changed my mind")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_a_reason_is_required_to_reverse_and_unknown_keys_are_refused(goal):
    _conversion(goal)
    assert _post(goal, txn_id="order-1", decision="reverse").status_code == 400
    response = _post(goal, txn_id="order-1", decision="approve", payout="99")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "not_writable")


def test_a_reversal_of_a_closed_months_conversion_is_booked_as_an_adjustment_now(goal):
    finance = factories.FinanceUserFactory()
    finance2 = factories.FinanceUserFactory()
    last = months_ago(1)
    conversion = conversion_booked_in(last, factories.PublisherFactory(), goal=goal)
    Conversion.objects.filter(pk=conversion.pk).update(advertiser_txn_id="order-old")
    closed(last, finance, finance2)

    response = _post(goal, txn_id="order-old", decision="reverse", reason="chargeback")
    assert response.status_code == 200, response.content
    _earning, change = LedgerEntry.objects.filter(conversion=conversion).order_by("id")
    assert (change.kind, change.amount) == ("adjustment", Decimal("-7.00"))
    assert f"conversion of closed period {last:%Y-%m}: reversal" in change.reason


def test_an_advertiser_users_api_key_acts_as_that_user(goal):
    conversion = _conversion(goal)
    user = factories.AdvertiserUserFactory(advertiser=goal.offer.advertiser)
    user.save()
    response = client_for(user).post(
        URL, {"txn_id": "order-1", "decision": "reverse", "reason": "returned"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert ConversionHistory.objects.get(conversion=conversion).actor_id == user.pk


@pytest.mark.parametrize("role", ["publisher", "manager", "finance"])
def test_other_roles_keys_are_refused(goal, role):
    conversion = _conversion(goal)
    user = {
        "publisher": factories.PublisherUserFactory,
        "manager": factories.ManagerFactory,
        "finance": factories.FinanceUserFactory,
    }[role]()
    user.save()
    response = client_for(user).post(
        URL,
        {"txn_id": "order-1", "decision": "reverse", "reason": "x"},
        format="json",
    )
    assert response.status_code == 403
    assert Conversion.objects.get(pk=conversion.pk).status == "approved"


def test_the_schema_documents_the_endpoint_and_its_statuses(goal):
    user = factories.AdvertiserUserFactory(advertiser=goal.offer.advertiser)
    user.save()
    schema = client_for(user).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    operation = json.loads(schema.content)["paths"][URL]["post"]
    assert {"200", "400", "401", "403", "404", "409", "429"} <= set(operation["responses"])
