"""A batch's life: approval by someone who authored none of it, export, payment entries,
failed lines (asked by one finance user, confirmed by another), clawback."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import override_settings

from core.errors import DomainError, ForbiddenError
from payouts.models import LedgerEntry, PayoutBatch, PayoutBatchLine
from payouts.selectors import publisher_balances
from payouts.services import (
    payout_batch_build,
    payout_batch_delete,
    payout_batch_export,
    payout_batch_mark_paid,
    payout_batch_rebuild,
    payout_line_failure_request,
)
from tests import factories
from tests.payouts.conftest import approve, days_ago, entry_write, line_fail

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_hold")]


@pytest.fixture
def no_hold():
    with override_settings(PAYOUT_HOLD_DAYS=0):
        yield


@pytest.fixture
def batch(finance, publisher):
    entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
    return payout_batch_build(currency="USD", built_by=finance)


def balance(publisher, currency="USD"):
    return {b.currency: b for b in publisher_balances(publisher_id=publisher.id)}[currency]


def test_the_builder_cannot_approve_their_own_batch(batch, finance):
    with pytest.raises(ForbiddenError) as refused:
        approve(batch_id=batch.id, approved_by=finance)
    assert refused.value.code == "forbidden"
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.DRAFT


def test_another_finance_user_approves(batch, finance2):
    approved = approve(batch_id=batch.id, approved_by=finance2)
    assert (approved.status, approved.approved_by) == (PayoutBatch.Status.APPROVED, finance2)


def test_a_manager_cannot_approve(batch):
    with pytest.raises(ForbiddenError):
        approve(batch_id=batch.id, approved_by=factories.ManagerFactory())


def test_approval_of_a_total_nobody_reviewed_is_refused(batch, finance2, publisher):
    with pytest.raises(DomainError) as refused:
        approve(batch_id=batch.id, approved_by=finance2, expected_total=Decimal("59.99"))
    assert refused.value.code == "batch_changed"
    assert (
        approve(batch_id=batch.id, approved_by=finance2, expected_total=Decimal("60.00")).status
        == PayoutBatch.Status.APPROVED
    )


def test_an_approved_batch_can_be_neither_rebuilt_nor_deleted(batch, finance, finance2):
    approve(batch_id=batch.id, approved_by=finance2)
    for attempt in (
        lambda: payout_batch_rebuild(batch_id=batch.id, rebuilt_by=finance),
        lambda: payout_batch_delete(batch_id=batch.id, deleted_by=finance),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == "batch_not_draft"


def test_a_draft_cannot_be_exported_or_paid(batch, finance):
    with pytest.raises(DomainError):
        payout_batch_export(batch_id=batch.id, exported_by=finance, export_format="standard")
    with pytest.raises(DomainError):
        payout_batch_mark_paid(batch_id=batch.id, paid_by=finance)


@pytest.mark.sqlite
def test_paying_writes_one_payment_per_line_once(finance, finance2):
    publishers = factories.PublisherFactory.create_batch(3, minimum_payout=Decimal("1"))
    for index, publisher in enumerate(publishers):
        entry_write(publisher=publisher, amount=f"{10 + index}.25", at=days_ago(1))
    batch = payout_batch_build(currency="USD", built_by=finance)
    approve(batch_id=batch.id, approved_by=finance2)
    payout_batch_export(batch_id=batch.id, exported_by=finance, export_format="standard")

    payout_batch_mark_paid(batch_id=batch.id, paid_by=finance)
    payout_batch_mark_paid(batch_id=batch.id, paid_by=finance2)

    payments = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT)
    assert payments.count() == 3
    assert payments.aggregate(s=Sum("amount"))["s"] == -batch.total
    for line in batch.lines.all():
        assert line.ledger_entries.get().amount == -line.amount
    for publisher in publishers:
        assert balance(publisher).total == 0


def test_an_approved_batch_can_be_paid_without_an_export(batch, finance, finance2):
    approve(batch_id=batch.id, approved_by=finance2)
    assert payout_batch_mark_paid(batch_id=batch.id, paid_by=finance).status == "paid"


def paid(batch, finance, finance2):
    approve(batch_id=batch.id, approved_by=finance2)
    return payout_batch_mark_paid(batch_id=batch.id, paid_by=finance)


@pytest.mark.sqlite
def test_a_failed_line_returns_its_amount_to_the_next_batch(batch, finance, finance2, publisher):
    paid(batch, finance, finance2)
    line = batch.lines.get()

    line_fail(
        batch_id=batch.id,
        line_id=line.id,
        requested_by=finance,
        confirmed_by=finance2,
        reason="bounced",
    )
    with pytest.raises(DomainError) as again:
        payout_line_failure_request(batch_id=batch.id, line_id=line.id, requested_by=finance)
    assert again.value.code == "line_failed"

    line.refresh_from_db()
    assert (line.status, line.failure_reason) == (PayoutBatchLine.Status.FAILED, "bounced")
    failure = LedgerEntry.objects.get(kind=LedgerEntry.Kind.PAYMENT_FAILURE)
    assert (failure.amount, failure.batch_line_id) == (Decimal("60.00"), line.id)
    assert balance(publisher).total == Decimal("60.00")
    assert balance(publisher).eligible == Decimal("60.00")
    again = payout_batch_build(currency="USD", built_by=finance)
    assert again.lines.get().amount == Decimal("60.00")
    assert again.lines.get().inclusions.get().entry_id == failure.id


def test_only_a_paid_batchs_line_can_fail(batch, finance):
    line = batch.lines.get()
    with pytest.raises(DomainError) as refused:
        payout_line_failure_request(batch_id=batch.id, line_id=line.id, requested_by=finance)
    assert refused.value.code == "batch_state"


def test_a_reversal_after_payment_is_clawed_back_by_the_next_batch(
    batch, finance, finance2, publisher
):
    paid(batch, finance, finance2)
    entry_write(publisher=publisher, amount="-25.00", kind="reversal", at=days_ago(0.5))
    assert balance(publisher).total == Decimal("-25.00")
    entry_write(publisher=publisher, amount="100.00", at=days_ago(0.4))

    nxt = payout_batch_build(currency="USD", built_by=finance)

    assert nxt.lines.get().amount == Decimal("75.00")


@pytest.mark.sqlite
def test_balances_split_into_eligible_held_and_in_batches(finance, publisher):
    publisher.hold_days = 10
    publisher.save()
    entry_write(publisher=publisher, amount="60.00", at=days_ago(20))
    payout_batch_build(currency="USD", built_by=finance)
    entry_write(publisher=publisher, amount="7.00", at=days_ago(15))
    entry_write(publisher=publisher, amount="9.00", at=days_ago(5))
    entry_write(publisher=publisher, amount="-2.00", kind="reversal", at=days_ago(1))

    got = balance(publisher)

    assert (got.total, got.eligible, got.held, got.in_batches) == (
        Decimal("74.00"),
        Decimal("5.00"),
        Decimal("9.00"),
        Decimal("60.00"),
    )
