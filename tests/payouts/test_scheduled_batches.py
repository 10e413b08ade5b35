"""The optional schedule builds one draft per currency, through the real broker and worker."""

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import override_settings

from payouts.models import PayoutBatch
from payouts.schedule import payout_scheduled_cut_off
from payouts.tasks import scheduled_batch_build, scheduled_batches_build
from tests import factories
from tests.payouts.conftest import days_ago, entry_write


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("daily", datetime(2026, 11, 25, tzinfo=UTC)),
        ("weekly", datetime(2026, 11, 23, tzinfo=UTC)),
        ("monthly", datetime(2026, 11, 1, tzinfo=UTC)),
    ],
)
def test_the_cut_off_is_the_start_of_the_period(schedule, expected):
    with override_settings(PAYOUT_SCHEDULE=schedule):
        assert payout_scheduled_cut_off(datetime(2026, 11, 25, 14, 30, tzinfo=UTC)) == expected


@pytest.mark.django_db(transaction=True)
@override_settings(PAYOUT_HOLD_DAYS=10, PAYOUT_SCHEDULE="daily")
def test_the_schedule_builds_a_draft_per_currency_once(celery_worker_thread):
    publisher = factories.PublisherFactory(minimum_payout=Decimal("1"))
    entry_write(publisher=publisher, amount="20.00", currency="USD", at=days_ago(12))
    entry_write(publisher=publisher, amount="3000", currency="JPY", at=days_ago(12))
    entry_write(publisher=publisher, amount="5.00", currency="EUR", at=days_ago(1))  # held

    scheduled_batches_build.delay()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and PayoutBatch.objects.count() < 2:
        time.sleep(0.1)

    batches = {b.currency: b for b in PayoutBatch.objects.all()}
    assert set(batches) == {"USD", "JPY"}
    assert batches["USD"].total == Decimal("20.00") and batches["USD"].built_by is None
    assert batches["JPY"].cut_off == payout_scheduled_cut_off()
    # A replayed run finds the same batch and builds nothing more.
    cut_off = payout_scheduled_cut_off().isoformat()
    assert scheduled_batch_build("USD", cut_off) == batches["USD"].id
    assert scheduled_batch_build("EUR", cut_off) is None
    assert PayoutBatch.objects.count() == 2
