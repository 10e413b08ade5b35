"""PostgreSQL itself keeps the ledger append-only, paid batches frozen and currencies apart."""

import uuid
from decimal import Decimal

import psycopg
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


@pytest.mark.sqlite
def test_raw_sql_cannot_delete_a_ledger_row(publisher):
    entry = entry_write(publisher=publisher, amount="7.00")
    with pytest.raises(DatabaseError, match="append-only"):
        run_sql("DELETE FROM payouts_ledgerentry WHERE id = %s", [entry.id])
    with pytest.raises(DatabaseError, match="append-only"):
        run_sql("DELETE FROM payouts_ledgerentry")
    assert type(entry).objects.filter(id=entry.id).exists()


def _installed_ledger_guard() -> list[str]:
    """The ledger's TRUNCATE guard as this database has it: its function and trigger, as SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_functiondef('payouts_ledger_append_only'::regproc),"
            " pg_get_triggerdef(t.oid) FROM pg_trigger t"
            " WHERE t.tgrelid = 'payouts_ledgerentry'::regclass"
            " AND t.tgname = 'payouts_ledger_no_truncate'"
        )
        function, trigger = cursor.fetchone()
    return [function, trigger]


def _truncate_in_a_database_named(name: str, guard: list[str]) -> None:
    """Create database `name`, install `guard` on a ledger table there, TRUNCATE it."""
    settings = connection.settings_dict
    params = {
        "host": settings["HOST"],
        "port": settings["PORT"] or None,
        "user": settings["USER"],
        "password": settings["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(dbname=name, autocommit=True, **params) as probe:
            probe.execute("CREATE TABLE payouts_ledgerentry (id integer)")
            for statement in guard:
                probe.execute(statement)
            probe.execute("INSERT INTO payouts_ledgerentry VALUES (1)")
            probe.execute("TRUNCATE payouts_ledgerentry")
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_the_ledger_refuses_truncate_outside_a_test_database():
    """Django's test runner empties tables with TRUNCATE, so test_* databases are let through.
    The guard installed here, copied into a database with a production-like name, refuses a
    real TRUNCATE; copied into one named test_*, it lets it through (so the refusal is the
    name check, not a broken trigger)."""
    guard = _installed_ledger_guard()
    suffix = uuid.uuid4().hex[:8]
    with pytest.raises(psycopg.errors.RestrictViolation, match="append-only: TRUNCATE refused"):
        _truncate_in_a_database_named(f"affnet_guard_{suffix}", guard)
    _truncate_in_a_database_named(f"test_guard_{suffix}", guard)


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
