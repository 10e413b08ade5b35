"""Issue 10, reproduction 4: one finance user redirected a publisher's payout to themselves.

They changed the publisher's PayPal email, adjusted its balance by +90,000 and approved the
scheduled batch (which has no builder), and the PayPal export paid their own address. Each
step now needs a second person, so the attack ends with no export and no ledger entry.
"""

from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from affiliates.models import Publisher
from payouts.models import LedgerEntry
from payouts.tasks import scheduled_batch_build
from tests import factories
from tests.conftest import client_for
from tests.payouts.conftest import days_ago, entry_write

pytestmark = [pytest.mark.django_db]

BATCHES = "/api/v1/payout-batches/"
ATTACKER = "mallory@evil.example"


@pytest.fixture
def publisher():
    publisher = factories.PublisherFactory(
        minimum_payout=Decimal("10"),
        payout_method="paypal",
        payout_details={"email": "honest@pub.example"},
    )
    entry_write(publisher=publisher, amount="120.00", at=days_ago(3))
    return publisher


@override_settings(PAYOUT_HOLD_DAYS=0)
def test_one_finance_user_cannot_redirect_adjust_and_approve_a_scheduled_batch(publisher, finance):
    mallory = client_for(finance)

    redirected = mallory.patch(
        f"/api/v1/publishers/{publisher.id}/",
        {"payout_details": {"email": ATTACKER}},
        format="json",
    )
    adjusted = mallory.post(
        "/api/v1/ledger-entries/adjustments/",
        {"publisher": publisher.id, "currency": "USD", "amount": "90000.00", "reason": "bonus"},
        format="json",
    )
    batch_id = scheduled_batch_build("USD", timezone.now().isoformat())
    shown = mallory.get(f"{BATCHES}{batch_id}/").json()
    approved = mallory.post(
        f"{BATCHES}{batch_id}/approve/",
        {"digest": shown.get("digest", ""), "total": shown["total"]},
        format="json",
    )
    exported = mallory.post(f"{BATCHES}{batch_id}/export/?format=paypal")

    assert ATTACKER not in exported.content.decode()
    assert (redirected.status_code, redirected.json()["error"]["code"]) == (
        400,
        "confirmation_required",
    )
    assert adjusted.status_code == 202 and adjusted.json()["state"] == "pending"
    # What is left is the schedule's honest batch, which nobody touched: one finance user may
    # approve that, and it pays the publisher's own address what it earned.
    assert approved.status_code == 200, approved.json()
    assert exported.content.decode().split(",")[:2] == ["honest@pub.example", "120.00"]
    assert Publisher.objects.get(id=publisher.id).payout_details == {"email": "honest@pub.example"}
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ADJUSTMENT).exists()


@override_settings(PAYOUT_HOLD_DAYS=0)
def test_asking_through_the_change_endpoint_and_confirming_it_oneself_is_refused(
    publisher, finance
):
    mallory = client_for(finance)
    asked = mallory.post(
        "/api/v1/payout-details-changes/",
        {
            "publisher": publisher.id,
            "payout_method": "paypal",
            "payout_details": {"email": ATTACKER},
        },
        format="json",
    )
    assert asked.status_code == 201, asked.json()

    confirmed = mallory.post(f"/api/v1/payout-details-changes/{asked.json()['id']}/confirm/")

    assert (confirmed.status_code, confirmed.json()["error"]["code"]) == (403, "forbidden")
    assert "not the one who asked" in confirmed.json()["error"]["message"]
    assert Publisher.objects.get(id=publisher.id).payout_details["email"] == "honest@pub.example"


@override_settings(PAYOUT_HOLD_DAYS=0, PAYOUT_DETAILS_COOLDOWN_HOURS=0)
def test_whoever_asked_for_the_new_details_may_not_approve_the_batch_that_pays_them(
    publisher, finance, finance2
):
    mallory, bob = client_for(finance), client_for(finance2)
    asked = mallory.post(
        "/api/v1/payout-details-changes/",
        {
            "publisher": publisher.id,
            "payout_method": "paypal",
            "payout_details": {"email": ATTACKER},
        },
        format="json",
    ).json()
    bob.post(f"/api/v1/payout-details-changes/{asked['id']}/confirm/")
    batch_id = scheduled_batch_build("USD", timezone.now().isoformat())
    shown = mallory.get(f"{BATCHES}{batch_id}/").json()
    assert shown["authors"] == [finance.id]

    refused = mallory.post(f"{BATCHES}{batch_id}/approve/", {"digest": shown["digest"]})
    approved = bob.post(f"{BATCHES}{batch_id}/approve/", {"digest": shown["digest"]})

    assert refused.status_code == 403
    assert approved.status_code == 200 and approved.json()["approved_by"] == finance2.id
