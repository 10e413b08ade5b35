"""Batches hold out suspended publishers and those whose payout details just changed, and
list them with the reason; their money waits, unbatched, for a later batch."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from affiliates.payout_details import payout_details_change_confirm, payout_details_change_request
from core.errors import DomainError
from payouts.models import PayoutLineEntry
from payouts.services import payout_batch_build
from tests import factories
from tests.conftest import client_for, signed_in
from tests.payouts.conftest import days_ago, entry_write

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_hold")]


@pytest.fixture
def no_hold():
    with override_settings(PAYOUT_HOLD_DAYS=0, PAYOUT_DETAILS_COOLDOWN_HOURS=72):
        yield


@pytest.fixture
def publishers():
    steady, changed = factories.PublisherFactory.create_batch(2, minimum_payout=Decimal("10"))
    entry_write(publisher=steady, amount="20.00", at=days_ago(2))
    entry_write(publisher=changed, amount="30.00", at=days_ago(2))
    return steady, changed


def test_a_publisher_whose_details_just_changed_waits_out_the_cool_down(
    publishers, finance, finance2
):
    steady, changed = publishers
    change = payout_details_change_request(
        publisher=changed,
        payout_method="paypal",
        payout_details={"email": "new@pub.example"},
        requested_by=finance,
    )
    payout_details_change_confirm(change_id=change.id, confirmed_by=finance2)

    batch = payout_batch_build(currency="USD", built_by=finance)

    assert list(batch.lines.values_list("publisher_id", flat=True)) == [steady.id]
    assert len(batch.held) == 1
    held = batch.held[0]
    assert (held["publisher"], held["amount"], held["reason"]) == (
        changed.id,
        "30.00",
        "payout_details_changed",
    )
    assert not PayoutLineEntry.objects.filter(entry__publisher=changed).exists()
    shown = client_for(finance2).get(f"/api/v1/payout-batches/{batch.id}/").json()
    assert shown["held"] == batch.held

    with time_machine.travel(timezone.now() + timedelta(hours=73), tick=False):
        later = payout_batch_build(currency="USD", built_by=finance)
    line = later.lines.get()
    assert (line.publisher_id, line.amount, line.payout_details) == (
        changed.id,
        Decimal("30.00"),
        {"email": "new@pub.example"},
    )
    assert later.held == []


def test_a_suspended_publisher_is_not_paid_and_is_listed(publishers, finance):
    steady, suspended = publishers
    suspended.status = "suspended"
    suspended.save(update_fields=["status"])

    batch = payout_batch_build(currency="USD", built_by=finance)

    assert list(batch.lines.values_list("publisher_id", flat=True)) == [steady.id]
    assert [(h["publisher"], h["reason"]) for h in batch.held] == [
        (suspended.id, "publisher_suspended")
    ]
    assert batch.total == Decimal("20.00")
    finance.save(update_fields=["password"])  # the factory set it on the instance only
    page = signed_in(Client(), finance)  # finance pages open after a two-factor code
    response = page.get(f"/finance/batches/{batch.id}/")
    assert response.status_code == 200, response
    shown = response.content.decode()
    assert "publisher suspended" in shown and suspended.name in shown


def test_a_batch_of_only_held_publishers_is_not_built(publishers, finance):
    for publisher in publishers:
        publisher.status = "suspended"
        publisher.save(update_fields=["status"])
    with pytest.raises(DomainError, match=r"\(2 held\)"):
        payout_batch_build(currency="USD", built_by=finance)
