"""A build reads what is new since the last one, and what earlier builds left unbatched, never
the batched history (payouts/services/build.py: per-publisher cursors and a frontier), with the
same guarantees as a build over the whole ledger."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import DomainError
from payouts.models import (
    LedgerEntry,
    PayoutBatch,
    PayoutBatchLine,
    PayoutBuildCursor,
    PayoutLineEntry,
)
from payouts.services import payout_batch_build, payout_batch_mark_paid, payout_batch_rebuild
from tests import factories
from tests.payouts.conftest import approve, days_ago, entry_write

pytestmark = pytest.mark.django_db


def taken(batch: PayoutBatch) -> set[int]:
    return set(PayoutLineEntry.objects.filter(line__batch=batch).values_list("entry_id", flat=True))


def plan_as_for_a_large_ledger() -> None:
    """No sequential scans for the rest of the test's transaction: on a ledger of a few hundred
    rows the planner would rather scan the whole table than use an index, and the rows read
    would measure that choice, not what the build asks for."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")


def ledger_rows_read() -> int:
    """Ledger rows this transaction has read so far (sequential scans and index fetches)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)"
            " FROM pg_stat_xact_user_tables WHERE relname = 'payouts_ledgerentry'"
        )
        return cursor.fetchone()[0]


@override_settings(PAYOUT_HOLD_DAYS=30)
def test_a_second_build_takes_exactly_what_the_first_left_and_what_came_after(finance, finance2):
    publisher = factories.PublisherFactory(minimum_payout=Decimal("1"), hold_days=None)
    small = factories.PublisherFactory(minimum_payout=Decimal("100"), hold_days=None)
    unconfirmed = factories.PublisherFactory(
        minimum_payout=Decimal("1"), hold_days=None, payout_details_changed_at=None
    )
    paid = entry_write(publisher=publisher, amount="60.00", at=days_ago(40))
    ripening = entry_write(publisher=publisher, amount="20.00", at=days_ago(33))
    carried = entry_write(publisher=small, amount="90.00", at=days_ago(40))
    held = entry_write(publisher=unconfirmed, amount="30.00", at=days_ago(40))
    first = payout_batch_build(currency="USD", cut_off=days_ago(5), built_by=finance)
    assert taken(first) == {paid.id}
    approve(batch_id=first.id, approved_by=finance2)
    payout_batch_mark_paid(batch_id=first.id, paid_by=finance2)

    # After the first: a reversal of money already paid, more for the publisher below its
    # minimum, the unconfirmed publisher confirmed, and the ripening entry now past its hold.
    reversal = entry_write(
        publisher=publisher, amount="-15.00", kind=LedgerEntry.Kind.REVERSAL, at=days_ago(1)
    )
    more = entry_write(publisher=small, amount="10.00", at=days_ago(35))
    unconfirmed.payout_details_changed_at = days_ago(10)
    unconfirmed.save(update_fields=["payout_details_changed_at"])
    second = payout_batch_build(currency="USD", built_by=finance)

    assert taken(second) == {ripening.id, reversal.id, carried.id, more.id, held.id}
    amounts = dict(second.lines.values_list("publisher_id", "amount"))
    assert amounts == {
        publisher.id: Decimal("5.00"),  # 20.00 ripened, less the 15.00 clawed back
        small.id: Decimal("100.00"),
        unconfirmed.id: Decimal("30.00"),
    }
    assert second.total == Decimal("135.00") and second.entry_count == 5
    # Nothing is left for a third build, and no entry is in two batches.
    with pytest.raises(DomainError) as refused:
        payout_batch_build(currency="USD", built_by=finance)
    assert refused.value.code == "nothing_to_pay"
    assert PayoutLineEntry.objects.count() == 6


@override_settings(PAYOUT_HOLD_DAYS=0)
def test_a_build_with_nothing_new_reads_no_batched_entry(finance):
    publishers = factories.PublisherFactory.create_batch(
        20, minimum_payout=Decimal("1"), hold_days=None
    )
    for publisher in publishers:
        for _ in range(10):
            entry_write(publisher=publisher, amount="3.00", at=days_ago(2))
    below = factories.PublisherFactory(minimum_payout=Decimal("1000"), hold_days=None)
    entry_write(publisher=below, amount="3.00", at=days_ago(2))
    first = payout_batch_build(currency="USD", built_by=finance)
    assert first.entry_count == 200

    plan_as_for_a_large_ledger()
    read_before = ledger_rows_read()
    with CaptureQueriesContext(connection) as queries, pytest.raises(DomainError) as refused:
        payout_batch_build(currency="USD", built_by=finance)

    assert refused.value.code == "nothing_to_pay"
    # The carried entry (a few reads), none of the 200 batched ones (a scan reads all 201).
    read = ledger_rows_read() - read_before
    assert read < 100, (read, [query["sql"][:80] for query in queries.captured_queries])
    # A fixed number of statements (the wait for writers in flight, the lock, the batch row and
    # its audit, the fill, the frontier, the held list, the totals), whatever the ledger's size.
    assert len(queries) <= 21, [query["sql"][:80] for query in queries.captured_queries]


@override_settings(PAYOUT_HOLD_DAYS=0)
def test_only_the_entries_after_the_cursors_are_read_when_new_ones_come(finance):
    publishers = factories.PublisherFactory.create_batch(
        10, minimum_payout=Decimal("1"), hold_days=None
    )
    for publisher in publishers:
        for _ in range(20):
            entry_write(publisher=publisher, amount="1.00", at=days_ago(2))
    payout_batch_build(currency="USD", built_by=finance)
    new = [entry_write(publisher=p, amount="2.00", at=days_ago(1)) for p in publishers[:3]]

    plan_as_for_a_large_ledger()
    read_before = ledger_rows_read()
    second = payout_batch_build(currency="USD", built_by=finance)

    assert taken(second) == {entry.id for entry in new}
    assert second.total == Decimal("6.00")
    # Each new entry a few times (the fill, the held list, the inclusion guard; about 13 rows
    # here), never the 200 batched ones: a scan of the ledger would read at least 203.
    assert ledger_rows_read() - read_before < 100


@override_settings(PAYOUT_HOLD_DAYS=0)
def test_deleting_inclusions_by_any_path_moves_the_cursors_back(finance, publisher):
    entry = entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
    batch = payout_batch_build(currency="USD", built_by=finance)
    cursor = PayoutBuildCursor.objects.get(publisher=publisher, currency="USD")
    assert cursor.through_entry_id >= entry.id

    # Not through the service: the database itself moves the cursor back.
    PayoutLineEntry.objects.filter(line__batch=batch).delete()
    PayoutBatchLine.objects.filter(batch=batch).delete()
    PayoutBatch.objects.filter(id=batch.id).delete()

    cursor.refresh_from_db()
    assert cursor.through_entry_id == entry.id - 1
    again = payout_batch_build(currency="USD", built_by=finance)
    assert taken(again) == {entry.id}


@override_settings(PAYOUT_HOLD_DAYS=0)
def test_a_rebuild_takes_its_own_entries_again_and_the_new_ones(finance, finance2, publisher):
    first = entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
    batch = payout_batch_build(currency="USD", built_by=finance)
    second = entry_write(publisher=publisher, amount="5.00", at=days_ago(0.5))

    rebuilt = payout_batch_rebuild(batch_id=batch.id, rebuilt_by=finance2)

    assert taken(rebuilt) == {first.id, second.id}
    assert rebuilt.total == Decimal("65.00")


def _write_in_flight(publisher, started: threading.Event, release: threading.Event, box: list):
    """Append an entry on another connection and hold its transaction open until `release`."""
    try:
        with transaction.atomic():
            box.append(entry_write(publisher=publisher, amount="7.00", at=days_ago(1)))
            started.set()
            release.wait(10)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
@override_settings(PAYOUT_HOLD_DAYS=0)
def test_an_entry_committed_while_a_build_waits_is_taken_by_that_build():
    finance = factories.FinanceUserFactory()
    publisher = factories.PublisherFactory(minimum_payout=Decimal("1"), hold_days=None)
    started, release, box = threading.Event(), threading.Event(), []
    writer = threading.Thread(target=_write_in_flight, args=(publisher, started, release, box))
    writer.start()
    started.wait(10)
    # A later id, committed first.
    later = entry_write(publisher=publisher, amount="3.00", at=days_ago(1))
    threading.Timer(0.3, release.set).start()

    batch = payout_batch_build(currency="USD", built_by=finance)

    writer.join(10)
    assert box[0].id < later.id
    assert taken(batch) == {box[0].id, later.id}


@pytest.mark.django_db(transaction=True)
@override_settings(PAYOUT_HOLD_DAYS=0)
def test_an_entry_still_uncommitted_after_the_wait_is_taken_by_the_next_build():
    finance = factories.FinanceUserFactory()
    publisher = factories.PublisherFactory(minimum_payout=Decimal("1"), hold_days=None)
    started, release, box = threading.Event(), threading.Event(), []
    writer = threading.Thread(target=_write_in_flight, args=(publisher, started, release, box))
    writer.start()
    started.wait(10)
    later = entry_write(publisher=publisher, amount="3.00", at=days_ago(1))

    began = time.monotonic()
    batch = payout_batch_build(currency="USD", built_by=finance)
    waited = time.monotonic() - began
    release.set()
    writer.join(10)

    # It waited at most about the lock timeout, took what it saw, and moved no cursor past the
    # entry it could not see: the next build takes it.
    assert waited < 5
    assert taken(batch) == {later.id}
    cursor = PayoutBuildCursor.objects.filter(publisher=publisher, currency="USD").first()
    assert cursor is None or cursor.through_entry_id < box[0].id
    following = payout_batch_build(currency="USD", built_by=finance)
    assert taken(following) == {box[0].id}
    assert following.total == Decimal("7.00")


@override_settings(PAYOUT_HOLD_DAYS=0)
def test_entries_of_another_currency_are_neither_taken_nor_moved_past(finance, publisher):
    euros = entry_write(publisher=publisher, amount="80.00", currency="EUR", at=days_ago(2))
    dollars = entry_write(publisher=publisher, amount="60.00", at=days_ago(1))

    usd = payout_batch_build(currency="USD", built_by=finance)
    eur = payout_batch_build(currency="EUR", built_by=finance)

    assert taken(usd) == {dollars.id} and taken(eur) == {euros.id}
    assert timezone.now() - eur.built_at < timedelta(minutes=1)
