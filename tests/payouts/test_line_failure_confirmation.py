"""A failed line is paid again later, so one finance user asks and another confirms."""

from decimal import Decimal

import pytest
from django.test import override_settings

from payouts.models import LedgerEntry, PayoutBatchLine
from payouts.services import payout_batch_build, payout_batch_mark_paid
from tests import factories
from tests.conftest import client_for
from tests.payouts.conftest import approve, days_ago, entry_write

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def paid_line(finance, finance2, publisher):
    with override_settings(PAYOUT_HOLD_DAYS=0):
        entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
        batch = payout_batch_build(currency="USD", built_by=finance)
    approve(batch_id=batch.id, approved_by=finance2)
    payout_batch_mark_paid(batch_id=batch.id, paid_by=finance2)
    return batch.lines.get()


def url(line, verb):
    return f"/api/v1/payout-batches/{line.batch_id}/lines/{line.id}/{verb}/"


def failures():
    return LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT_FAILURE)


def test_a_line_fails_only_once_a_second_finance_user_confirms(paid_line, finance, finance2):
    asked = client_for(finance).post(url(paid_line, "mark-failed"), {"reason": "bounced"})
    assert (asked.status_code, asked.json()["state"]) == (202, "pending")
    assert not failures().exists()
    assert PayoutBatchLine.objects.get(id=paid_line.id).status == "ok"

    own = client_for(finance).post(url(paid_line, "confirm-failed"))
    assert own.status_code == 403
    assert not failures().exists()

    confirmed = client_for(finance2).post(url(paid_line, "confirm-failed"))

    assert (confirmed.json()["status"], confirmed.json()["failure_reason"]) == (
        "failed",
        "bounced",
    )
    failure = failures().get()
    assert (failure.amount, failure.created_by_id) == (Decimal("60.00"), finance.id)


def test_a_rejected_failure_leaves_the_line_paid(paid_line, finance, finance2):
    client_for(finance).post(url(paid_line, "mark-failed"), {"reason": "typo"})
    rejected = client_for(finance2).post(url(paid_line, "reject-failed"))
    assert rejected.json()["state"] == "rejected"
    assert client_for(finance2).post(url(paid_line, "confirm-failed")).status_code == 409
    assert PayoutBatchLine.objects.get(id=paid_line.id).status == "ok"
    assert not failures().exists()


def test_managers_neither_ask_nor_confirm(paid_line, finance, manager_client):
    assert manager_client.post(url(paid_line, "mark-failed")).status_code == 403
    client_for(finance).post(url(paid_line, "mark-failed"))
    assert manager_client.post(url(paid_line, "confirm-failed")).status_code == 403
    publisher_user = client_for(factories.PublisherUserFactory())
    assert publisher_user.post(url(paid_line, "confirm-failed")).status_code == 403
    assert not failures().exists()
