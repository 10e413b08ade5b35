"""Two finance users acting at the same moment, on real connections, cannot double-count."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import override_settings

from core.errors import DomainError
from payouts.models import PayoutBatch, PayoutBatchLine, PayoutLineEntry
from payouts.services import payout_batch_build
from tests import factories
from tests.payouts.conftest import approve, days_ago, entry_write


def run_together(*calls):
    """Start every call at once, each on its own thread and database connection."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except DomainError as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.django_db(transaction=True)
@override_settings(PAYOUT_HOLD_DAYS=0)
def test_two_builds_at_once_take_each_entry_once():
    publishers = factories.PublisherFactory.create_batch(20, minimum_payout=Decimal("1"))
    for publisher in publishers:
        for _ in range(5):
            entry_write(publisher=publisher, amount="3.33", at=days_ago(1))
    alice, bob = factories.FinanceUserFactory.create_batch(2)

    results = run_together(
        lambda: payout_batch_build(currency="USD", built_by=alice),
        lambda: payout_batch_build(currency="USD", built_by=bob),
    )

    built = [r for r in results if isinstance(r, PayoutBatch)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(built) == 1 and [r.code for r in refused] == ["nothing_to_pay"]
    assert PayoutLineEntry.objects.count() == 100
    assert PayoutBatchLine.objects.aggregate(s=Sum("amount"))["s"] == Decimal("333.00")
    assert PayoutBatch.objects.get().total == Decimal("333.00")


@pytest.mark.django_db(transaction=True)
@override_settings(PAYOUT_HOLD_DAYS=0)
def test_two_approvals_at_once_approve_once():
    publisher = factories.PublisherFactory(minimum_payout=Decimal("1"))
    entry_write(publisher=publisher, amount="10.00", at=days_ago(1))
    builder, alice, bob = factories.FinanceUserFactory.create_batch(3)
    batch = payout_batch_build(currency="USD", built_by=builder)

    results = run_together(
        lambda: approve(batch_id=batch.id, approved_by=alice),
        lambda: approve(batch_id=batch.id, approved_by=bob),
    )

    assert sorted(type(r).__name__ for r in results) == ["DomainError", "PayoutBatch"]
    batch.refresh_from_db()
    assert batch.status == "approved"
    assert batch.approved_by in (alice, bob)
