"""PostgreSQL itself keeps the ledger append-only, paid batches frozen and currencies apart."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from payouts.models import PayoutBatch
from payouts.services import (
    payout_batch_build,
    payout_batch_mark_paid,
)
from tests import factories
from tests.payouts.conftest import approve, days_ago, entry_write

pytestmark = pytest.mark.django_db


def run_sql(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.sqlite
def test_raw_sql_cannot_update_a_ledger_row(publisher):
    entry = entry_write(publisher=publisher, amount="7.00")
    with pytest.raises(DatabaseError, match="append-only"):
        run_sql("UPDATE payouts_ledgerentry SET amount = 700 WHERE id = %s", [entry.id])
    entry.refresh_from_db()
    assert entry.amount == Decimal("7.00")


def test_raw_sql_cannot_delete_a_ledger_row(publisher):
    entry = entry_write(publisher=publisher, amount="7.00")
    with pytest.raises(DatabaseError, match="append-only"):
        run_sql("DELETE FROM payouts_ledgerentry WHERE id = %s", [entry.id])
    with pytest.raises(DatabaseError, match="append-only"):
        run_sql("DELETE FROM payouts_ledgerentry")
    assert type(entry).objects.filter(id=entry.id).exists()


def test_the_ledger_refuses_truncate_outside_a_test_database():
    """Django's test runner empties tables with TRUNCATE, so test_* databases are let through;
    the trigger is there, and refuses it anywhere else."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'payouts_ledgerentry'::regclass"
            " AND NOT tgisinternal ORDER BY tgname"
        )
        triggers = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'payouts_ledger_append_only'")
        source = cursor.fetchone()[0]
    assert triggers == ["payouts_ledger_no_truncate", "payouts_ledger_no_update_or_delete"]
    assert "current_database() LIKE 'test\\_%'" in source


@pytest.fixture
def paid_batch(finance, finance2, publisher):
    with override_settings(PAYOUT_HOLD_DAYS=0):
        entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
        batch = payout_batch_build(currency="USD", built_by=finance)
    approve(batch_id=batch.id, approved_by=finance2)
    return payout_batch_mark_paid(batch_id=batch.id, paid_by=finance)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE payouts_payoutbatch SET total = 1 WHERE id = %(batch)s",
        "UPDATE payouts_payoutbatch SET status = 'draft' WHERE id = %(batch)s",
        "DELETE FROM payouts_payoutbatch WHERE id = %(batch)s",
        "UPDATE payouts_payoutbatchline SET amount = 1 WHERE batch_id = %(batch)s",
        "DELETE FROM payouts_payoutbatchline WHERE batch_id = %(batch)s",
        "DELETE FROM payouts_payoutlineentry",
        "UPDATE payouts_payoutlineentry SET currency = currency",
    ],
)
def test_a_paid_batch_never_changes(paid_batch, sql):
    with pytest.raises(DatabaseError):
        run_sql(sql, {"batch": paid_batch.id})
    paid_batch.refresh_from_db()
    assert (paid_batch.status, paid_batch.total) == ("paid", Decimal("60.00"))


def test_an_approved_batchs_totals_are_frozen(finance, finance2, publisher):
    with override_settings(PAYOUT_HOLD_DAYS=0):
        entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
        batch = payout_batch_build(currency="USD", built_by=finance)
    approve(batch_id=batch.id, approved_by=finance2)
    with pytest.raises(DatabaseError, match="frozen"):
        run_sql("UPDATE payouts_payoutbatch SET total = 1 WHERE id = %s", [batch.id])
    with pytest.raises(DatabaseError, match="frozen"):
        run_sql("DELETE FROM payouts_payoutbatchline WHERE batch_id = %s", [batch.id])


def test_the_database_refuses_a_self_approval(finance, publisher):
    with override_settings(PAYOUT_HOLD_DAYS=0):
        entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
        batch = payout_batch_build(currency="USD", built_by=finance)
    with pytest.raises(DatabaseError, match="batch_approver_is_not_builder"):
        run_sql(
            "UPDATE payouts_payoutbatch SET status = 'approved', approved_by_id = built_by_id,"
            " approved_at = now() WHERE id = %s",
            [batch.id],
        )
    assert PayoutBatch.objects.get(id=batch.id).status == "draft"


def test_currencies_cannot_mix_in_a_line(finance, publisher):
    with override_settings(PAYOUT_HOLD_DAYS=0):
        entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
        batch = payout_batch_build(currency="USD", built_by=finance)
    euros = entry_write(publisher=publisher, amount="5.00", currency="EUR")
    line = batch.lines.get()
    for currency in ("USD", "EUR"):
        with pytest.raises(DatabaseError, match="same_currency"):
            run_sql(
                "INSERT INTO payouts_payoutlineentry (line_id, entry_id, currency)"
                " VALUES (%s, %s, %s)",
                [line.id, euros.id, currency],
            )
    with pytest.raises(DatabaseError, match="same_currency"):
        run_sql(
            "INSERT INTO payouts_payoutbatchline (batch_id, publisher_id, currency, amount,"
            " payout_method, payout_details, payee_name, reference, status, failure_reason)"
            " VALUES (%s, %s, 'EUR', 5, 'paypal', '{}', 'x', 'X-1', 'ok', '')",
            [batch.id, factories.PublisherFactory().id],
        )


def test_an_entry_is_in_at_most_one_batch(finance, publisher):
    with override_settings(PAYOUT_HOLD_DAYS=0):
        entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
        first = payout_batch_build(currency="USD", built_by=finance)
        other = factories.PublisherFactory(minimum_payout=Decimal("1"))
        entry_write(publisher=other, amount="60.00", at=days_ago(1))
        second = payout_batch_build(currency="USD", built_by=finance)
    taken = first.lines.get().inclusions.get().entry_id
    with pytest.raises(DatabaseError, match=r"unique|duplicate"):
        run_sql(
            "INSERT INTO payouts_payoutlineentry (line_id, entry_id, currency)"
            " VALUES (%s, %s, 'USD')",
            [second.lines.get().id, taken],
        )
