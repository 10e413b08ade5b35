"""Manual adjustments above PAYOUT_ADJUSTMENT_CONFIRM_ABOVE (summed per author and publisher
since the publisher's last paid batch) wait for a second finance user before they are ledger
entries; and their author may not approve the batch that pays them."""

from decimal import Decimal

import pytest
from django.test import override_settings

from payouts.models import AdjustmentRequest, LedgerEntry
from payouts.services import payout_batch_build, payout_batch_mark_paid
from tests import factories
from tests.conftest import client_for
from tests.payouts.conftest import approve

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("limits")]

ADJUST = "/api/v1/ledger-entries/adjustments/"
REQUESTS = "/api/v1/adjustment-requests/"


@pytest.fixture
def limits():
    with override_settings(PAYOUT_ADJUSTMENT_CONFIRM_ABOVE=1000, PAYOUT_HOLD_DAYS=0):
        yield


def adjust(client, publisher, amount, currency="USD"):
    return client.post(
        ADJUST,
        {"publisher": publisher.id, "currency": currency, "amount": amount, "reason": "bonus"},
        format="json",
    )


def adjustments():
    return LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ADJUSTMENT)


def test_a_small_adjustment_is_an_entry_at_once(publisher, finance):
    made = adjust(client_for(finance), publisher, "999.99")
    assert made.status_code == 201
    assert adjustments().get().amount == Decimal("999.99")


def test_adjustments_summed_above_the_limit_wait_for_a_second_finance_user(
    publisher, finance, finance2
):
    alice = client_for(finance)
    assert adjust(alice, publisher, "600.00").status_code == 201
    waiting = adjust(alice, publisher, "600.00")
    assert (waiting.status_code, waiting.json()["state"]) == (202, "pending")
    assert adjustments().count() == 1
    # Another author's sum is their own.
    assert adjust(client_for(finance2), publisher, "600.00").status_code == 201

    own = alice.post(f"{REQUESTS}{waiting.json()['id']}/confirm/")
    assert own.status_code == 403
    assert adjustments().count() == 2

    confirmed = client_for(finance2).post(f"{REQUESTS}{waiting.json()['id']}/confirm/")

    assert confirmed.json()["state"] == "confirmed"
    entry = LedgerEntry.objects.get(id=confirmed.json()["entry"])
    assert (entry.amount, entry.created_by_id) == (Decimal("600.00"), finance.id)


def test_a_rejected_adjustment_writes_nothing(publisher, finance, finance2):
    waiting = adjust(client_for(finance), publisher, "90000.00").json()
    rejected = client_for(finance2).post(f"{REQUESTS}{waiting['id']}/reject/")
    assert rejected.json()["state"] == "rejected"
    again = client_for(finance2).post(f"{REQUESTS}{waiting['id']}/confirm/")
    assert again.status_code == 409
    assert not adjustments().exists()


def test_managers_and_publishers_neither_adjust_nor_confirm(publisher, finance, manager_client):
    waiting = adjust(client_for(finance), publisher, "5000.00").json()
    own = client_for(factories.PublisherUserFactory(publisher=publisher))
    for client in (manager_client, own):
        assert adjust(client, publisher, "10.00").status_code == 403
    assert manager_client.post(f"{REQUESTS}{waiting['id']}/confirm/").status_code == 403
    assert own.post(f"{REQUESTS}{waiting['id']}/confirm/").status_code == 403
    assert not adjustments().exists()
    assert AdjustmentRequest.objects.get().state == "pending"


def test_the_sum_starts_again_after_the_publishers_next_paid_batch(publisher, finance, finance2):
    third = factories.FinanceUserFactory()
    assert adjust(client_for(finance), publisher, "900.00").status_code == 201
    batch = payout_batch_build(currency="USD", built_by=third)
    approve(batch_id=batch.id, approved_by=finance2)
    payout_batch_mark_paid(batch_id=batch.id, paid_by=finance2)

    assert adjust(client_for(finance), publisher, "900.00").status_code == 201


def test_the_author_of_an_adjustment_may_not_approve_the_batch_paying_it(
    publisher, finance, finance2
):
    adjust(client_for(finance), publisher, "100.00")
    batch = payout_batch_build(currency="USD", built_by=finance2)

    refused = client_for(finance).post(
        f"/api/v1/payout-batches/{batch.id}/approve/",
        {"digest": client_for(finance).get(f"/api/v1/payout-batches/{batch.id}/").json()["digest"]},
        format="json",
    )

    assert refused.status_code == 403
    batch.refresh_from_db()
    assert batch.status == "draft"
