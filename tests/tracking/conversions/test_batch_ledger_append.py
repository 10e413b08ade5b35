"""The ledger's batch append (attribution's earnings): checked, idempotent, insert-only."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from payouts.ledger import ledger_entries_append, ledger_entry_append
from payouts.models import LedgerEntry
from tests import factories

pytestmark = pytest.mark.sqlite


def _entries(publisher, amounts: list[str], currency: str = "USD") -> list[LedgerEntry]:
    return [
        LedgerEntry(
            publisher_id=publisher.pk,
            currency=currency,
            kind=LedgerEntry.Kind.EARNING,
            amount=Decimal(amount),
            idempotency_key=f"test:{currency}:{n}",
            offer_id=n,
        )
        for n, amount in enumerate(amounts)
    ]


def _ledger() -> list[tuple]:
    return list(
        LedgerEntry.objects.order_by("idempotency_key").values_list(
            "idempotency_key", "publisher_id", "currency", "kind", "amount", "offer_id"
        )
    )


@pytest.fixture
def publisher(db):
    return factories.PublisherFactory()


def test_a_batch_is_written_as_given(publisher):
    with transaction.atomic():
        ledger_entries_append(entries=_entries(publisher, ["7.00", "0.01", "1234.56"]))
    assert _ledger() == [
        ("test:USD:0", publisher.pk, "USD", "earning", Decimal("7.00"), 0),
        ("test:USD:1", publisher.pk, "USD", "earning", Decimal("0.01"), 1),
        ("test:USD:2", publisher.pk, "USD", "earning", Decimal("1234.56"), 2),
    ]


def test_appending_the_same_batch_twice_writes_each_entry_once(publisher):
    with transaction.atomic():
        ledger_entries_append(entries=_entries(publisher, ["7.00", "3.50"]))
    once = _ledger()
    with transaction.atomic():
        ledger_entries_append(entries=_entries(publisher, ["7.00", "3.50"]))
        # A key already booked keeps its first amount: the ledger is never updated.
        ledger_entries_append(entries=_entries(publisher, ["9.99", "3.50", "1.00"]))
    assert _ledger() == [*once, ("test:USD:2", publisher.pk, "USD", "earning", Decimal("1.00"), 2)]


def test_a_key_twice_in_one_batch_is_written_once(publisher):
    first, second = _entries(publisher, ["7.00", "8.00"])
    second.idempotency_key = first.idempotency_key
    with transaction.atomic():
        ledger_entries_append(entries=[first, second])
    assert [row[4] for row in _ledger()] == [Decimal("7.00")]


def test_a_batch_and_a_single_append_share_their_keys(publisher):
    (entry,) = _entries(publisher, ["7.00"])
    with transaction.atomic():
        ledger_entries_append(entries=[entry])
    _existing, created = ledger_entry_append(
        publisher_id=publisher.pk,
        currency="USD",
        kind=LedgerEntry.Kind.EARNING,
        amount=Decimal("7.00"),
        idempotency_key=entry.idempotency_key,
    )
    assert created is False and len(_ledger()) == 1


@pytest.mark.parametrize(
    ("currency", "amount"), [("USD", "7.005"), ("JPY", "100.5"), ("BHD", "1.0001")]
)
def test_an_amount_not_rounded_to_the_minor_unit_refuses_the_whole_batch(
    publisher, currency, amount
):
    entries = _entries(publisher, ["7", amount], currency=currency)
    with pytest.raises(ValueError, match="not rounded"), transaction.atomic():
        ledger_entries_append(entries=entries)
    assert _ledger() == []


def test_an_empty_batch_writes_nothing(publisher):
    ledger_entries_append(entries=[])
    assert _ledger() == []


def test_an_entry_breaking_a_ledger_constraint_fails_the_batch_not_silently(publisher):
    entries = _entries(publisher, ["7.00", "-1.00"])  # an earning must not be negative
    with pytest.raises(IntegrityError), transaction.atomic():
        ledger_entries_append(entries=entries)
    assert _ledger() == []


def test_a_batch_of_one_is_checked_and_idempotent_like_any_other(publisher):
    for _ in range(2):
        with transaction.atomic():
            ledger_entries_append(entries=_entries(publisher, ["7.00"]))
    assert len(_ledger()) == 1


@pytest.mark.parametrize(("currency", "amount"), [("USD", "7.005"), ("JPY", "100.5")])
def test_a_single_append_not_rounded_to_the_minor_unit_is_refused(publisher, currency, amount):
    with pytest.raises(ValueError, match="not rounded"):
        ledger_entry_append(
            publisher_id=publisher.pk,
            currency=currency,
            kind=LedgerEntry.Kind.EARNING,
            amount=Decimal(amount),
            idempotency_key="test:unrounded",
        )
    assert _ledger() == []
