"""Building a batch: hold periods, minimum payouts, netting, carry-over, one currency."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from core.errors import DomainError, ForbiddenError
from payouts.models import LedgerEntry, PayoutBatch, PayoutLineEntry
from payouts.services import (
    payout_batch_build,
    payout_batch_delete,
    payout_batch_mark_paid,
    payout_batch_rebuild,
)
from tests import factories
from tests.payouts.conftest import approve, days_ago, entry_write

pytestmark = pytest.mark.django_db


@pytest.mark.sqlite
@override_settings(PAYOUT_HOLD_DAYS=30)
def test_it_takes_earnings_past_the_hold_and_leaves_recent_ones(finance, publisher):
    old = entry_write(publisher=publisher, amount="60.00", at=days_ago(31))
    recent = entry_write(publisher=publisher, amount="40.00", at=days_ago(29))

    batch = payout_batch_build(currency="USD", built_by=finance)

    line = batch.lines.get()
    assert line.amount == Decimal("60.00")
    assert set(PayoutLineEntry.objects.values_list("entry_id", flat=True)) == {old.id}
    assert not PayoutLineEntry.objects.filter(entry=recent).exists()
    assert (batch.total, batch.line_count, batch.entry_count) == (Decimal("60.00"), 1, 1)


@pytest.mark.sqlite
@override_settings(PAYOUT_HOLD_DAYS=30)
def test_a_publishers_own_hold_days_beat_the_networks(finance):
    quick = factories.PublisherFactory(minimum_payout=Decimal("1"), hold_days=2)
    slow = factories.PublisherFactory(minimum_payout=Decimal("1"), hold_days=60)
    entry_write(publisher=quick, amount="10.00", at=days_ago(3))
    entry_write(publisher=slow, amount="10.00", at=days_ago(45))

    batch = payout_batch_build(currency="USD", built_by=finance)

    assert list(batch.lines.values_list("publisher_id", flat=True)) == [quick.id]


@pytest.mark.sqlite
@override_settings(PAYOUT_HOLD_DAYS=0)
def test_publishers_below_their_minimum_carry_over(finance, publisher):
    small = factories.PublisherFactory(minimum_payout=Decimal("100"))
    entry_write(publisher=publisher, amount="50.00", at=days_ago(1))
    kept = entry_write(publisher=small, amount="99.99", at=days_ago(1))

    batch = payout_batch_build(currency="USD", built_by=finance)

    assert list(batch.lines.values_list("publisher_id", flat=True)) == [publisher.id]
    assert not PayoutLineEntry.objects.filter(entry=kept).exists()
    entry_write(publisher=small, amount="0.01", at=days_ago(0.5))
    later = payout_batch_build(currency="USD", built_by=finance)
    assert later.lines.get().amount == Decimal("100.00")


@pytest.mark.sqlite
@override_settings(PAYOUT_HOLD_DAYS=30)
def test_reversals_net_at_once_even_inside_the_hold(finance, publisher):
    entry_write(publisher=publisher, amount="80.00", at=days_ago(40))
    entry_write(publisher=publisher, amount="-20.00", kind="reversal", at=days_ago(1))

    batch = payout_batch_build(currency="USD", built_by=finance)

    assert batch.lines.get().amount == Decimal("60.00")


@override_settings(PAYOUT_HOLD_DAYS=0)
def test_a_negative_balance_makes_no_line_and_nets_later(finance, publisher):
    entry_write(publisher=publisher, amount="-30.00", kind="reversal", at=days_ago(2))
    entry_write(publisher=publisher, amount="20.00", at=days_ago(2))
    with pytest.raises(DomainError) as refused:
        payout_batch_build(currency="USD", built_by=finance)
    assert refused.value.code == "nothing_to_pay"
    assert not PayoutBatch.objects.exists()

    entry_write(publisher=publisher, amount="70.00", at=days_ago(1))
    batch = payout_batch_build(currency="USD", built_by=finance)
    assert batch.lines.get().amount == Decimal("60.00")
    assert batch.entry_count == 3


@override_settings(PAYOUT_HOLD_DAYS=0)
def test_a_batch_takes_only_its_currency(finance, publisher):
    entry_write(publisher=publisher, amount="60.00", currency="USD", at=days_ago(1))
    eur = entry_write(publisher=publisher, amount="70.00", currency="EUR", at=days_ago(1))

    usd_batch = payout_batch_build(currency="USD", built_by=finance)
    eur_batch = payout_batch_build(currency="EUR", built_by=finance)

    assert usd_batch.lines.get().amount == Decimal("60.00")
    assert eur_batch.lines.get().currency == "EUR"
    assert PayoutLineEntry.objects.get(entry=eur).line.batch_id == eur_batch.id


@override_settings(PAYOUT_HOLD_DAYS=0)
def test_entries_after_the_cut_off_wait_for_the_next_batch(finance, publisher):
    entry_write(publisher=publisher, amount="60.00", at=days_ago(10))
    entry_write(publisher=publisher, amount="-60.00", kind="reversal", at=days_ago(1))

    batch = payout_batch_build(currency="USD", cut_off=days_ago(5), built_by=finance)

    assert batch.lines.get().amount == Decimal("60.00")


@pytest.mark.sqlite
@override_settings(PAYOUT_HOLD_DAYS=0)
def test_an_entry_written_at_the_cut_off_itself_waits_for_the_next_batch(finance, publisher):
    """The cut-off is exclusive. A reversal (never held) isolates it from the hold."""
    cut_off = days_ago(1)
    entry_write(publisher=publisher, amount="60.00", at=days_ago(2))
    at_cut_off = entry_write(publisher=publisher, amount="-10.00", kind="reversal", at=cut_off)
    assert at_cut_off.created_at == cut_off

    batch = payout_batch_build(currency="USD", cut_off=cut_off, built_by=finance)

    assert batch.lines.get().amount == Decimal("60.00")
    assert not PayoutLineEntry.objects.filter(entry=at_cut_off).exists()


@pytest.mark.sqlite
@override_settings(PAYOUT_HOLD_DAYS=0)
def test_a_balance_netting_to_zero_makes_no_line_even_without_a_minimum(finance, publisher):
    nothing = factories.PublisherFactory(minimum_payout=Decimal("0"))
    entry_write(publisher=nothing, amount="10.00", at=days_ago(2))
    entry_write(publisher=nothing, amount="-10.00", kind="reversal", at=days_ago(1))
    entry_write(publisher=publisher, amount="60.00", at=days_ago(1))

    batch = payout_batch_build(currency="USD", built_by=finance)

    assert list(batch.lines.values_list("publisher_id", flat=True)) == [publisher.id]


@pytest.mark.sqlite
@override_settings(PAYOUT_HOLD_DAYS=0)
def test_payments_are_never_taken_by_a_build(finance, finance2, publisher):
    """A paid batch leaves a -60.00 payment in the ledger, unbatched. Were the next build to
    take it, 70.00 earned since would net to 10.00, below the 50.00 minimum: no line at all."""
    entry_write(publisher=publisher, amount="60.00", at=days_ago(2))
    first = payout_batch_build(currency="USD", built_by=finance)
    approve(batch_id=first.id, approved_by=finance2)
    payout_batch_mark_paid(batch_id=first.id, paid_by=finance2)
    payment = LedgerEntry.objects.get(kind=LedgerEntry.Kind.PAYMENT)
    assert payment.amount == Decimal("-60.00")
    assert not PayoutLineEntry.objects.filter(entry=payment).exists()
    earned = entry_write(publisher=publisher, amount="70.00", at=days_ago(1))

    batch = payout_batch_build(currency="USD", built_by=finance)

    assert batch.lines.get().amount == Decimal("70.00")
    assert (batch.total, batch.entry_count) == (Decimal("70.00"), 1)
    taken = PayoutLineEntry.objects.filter(line__batch=batch).values_list("entry_id", flat=True)
    assert list(taken) == [earned.id]
    assert not PayoutLineEntry.objects.filter(entry=payment).exists()


def test_it_refuses_a_cut_off_in_the_future_or_an_unknown_currency(finance):
    with pytest.raises(DomainError) as future:
        payout_batch_build(
            currency="USD", cut_off=timezone.now() + timedelta(days=1), built_by=finance
        )
    assert future.value.code == "cut_off_in_future"
    with pytest.raises(DomainError) as unknown:
        payout_batch_build(currency="XYZ", built_by=finance)
    assert unknown.value.code == "unknown_currency"


@pytest.mark.parametrize("factory", [factories.ManagerFactory, factories.PublisherUserFactory])
def test_only_finance_users_build(factory):
    with pytest.raises(ForbiddenError):
        payout_batch_build(currency="USD", built_by=factory())


@pytest.mark.sqlite
@override_settings(PAYOUT_HOLD_DAYS=0)
def test_a_rebuild_takes_new_entries_and_makes_the_rebuilder_the_builder(
    finance, finance2, publisher
):
    entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
    batch = payout_batch_build(currency="USD", built_by=finance)
    entry_write(publisher=publisher, amount="5.00", at=days_ago(0.1))

    rebuilt = payout_batch_rebuild(batch_id=batch.id, rebuilt_by=finance2)

    assert rebuilt.id == batch.id
    assert rebuilt.lines.get().amount == Decimal("65.00")
    assert rebuilt.built_by == finance2
    assert (rebuilt.total, rebuilt.entry_count) == (Decimal("65.00"), 2)


@pytest.mark.sqlite
@override_settings(PAYOUT_HOLD_DAYS=0)
def test_deleting_a_draft_frees_its_entries(finance, publisher):
    entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
    batch = payout_batch_build(currency="USD", built_by=finance)

    payout_batch_delete(batch_id=batch.id, deleted_by=finance)

    assert not PayoutBatch.objects.exists()
    assert not PayoutLineEntry.objects.exists()
    assert payout_batch_build(currency="USD", built_by=finance).total == Decimal("60.00")


@override_settings(PAYOUT_HOLD_DAYS=30)
def test_a_raise_of_a_conversions_payout_is_held_like_its_earning(finance, publisher):
    """Attribution writes an adjustment when an approved conversion's payout changes: it names
    the conversion instead of an author, and waits out the hold like the earning."""
    conversion = factories.ConversionFactory(publisher=publisher)
    entry_write(publisher=publisher, amount="60.00", at=days_ago(40), conversion_id=conversion.id)
    raised = entry_write(
        publisher=publisher,
        amount="15.00",
        kind="adjustment",
        at=days_ago(2),
        conversion_id=conversion.id,
    )

    batch = payout_batch_build(currency="USD", built_by=finance)

    assert batch.lines.get().amount == Decimal("60.00")
    assert not PayoutLineEntry.objects.filter(entry=raised).exists()


def test_a_manual_adjustment_needs_an_author_and_a_reason(publisher):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        entry_write(publisher=publisher, amount="5.00", kind="adjustment")
