"""The guard builders (core/db_guards.py) spell exactly what the migrations applied: the
functions PostgreSQL holds are the builders' text, the triggers call them on the same tables,
and a guard built by them refuses UPDATE and DELETE."""

import re

import pytest
from django.db import DatabaseError, connection, transaction

from core.db_guards import append_only_function, row_trigger

pytestmark = pytest.mark.django_db

ACTOR_SET_NULL = """    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
        AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
"""

# What each migration passes (payouts 0003, billing 0002, accounts 0004, offers 0005).
BUILT = {
    "payouts_ledger_append_only": append_only_function(
        "payouts_ledger_append_only",
        table="payouts_ledgerentry",
        hint="Correct an entry by appending another.",
        truncate_in_tests=True,
    ),
    "billing_append_only": append_only_function(
        "billing_append_only", hint="Correct a row by appending another."
    ),
    "accounts_audit_append_only": append_only_function(
        "accounts_audit_append_only",
        table="auditlog_logentry",
        truncate_in_tests=True,
        let_through=ACTOR_SET_NULL,
    ),
    "offers_terms_versions_immutable": append_only_function(
        "offers_terms_versions_immutable",
        message="offers_offerterms rows are immutable: UPDATE refused",
    ),
}


def fetch(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def body(created: str) -> str:
    match = re.search(r"AS \$\$(.*)\$\$;", created, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_each_guard_function_in_the_database_is_the_builders_text():
    held = dict(fetch("SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%s)", [list(BUILT)]))
    assert held == {name: body(created) for name, created in BUILT.items()}


def test_the_guard_triggers_call_their_function_on_the_same_tables():
    rows = fetch(
        """
        SELECT t.tgname, t.tgrelid::regclass::text, p.proname
        FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE p.proname = ANY(%s) AND NOT t.tgisinternal
        """,
        [list(BUILT)],
    )
    assert set(rows) == {
        ("payouts_ledger_no_update_or_delete", "payouts_ledgerentry", "payouts_ledger_append_only"),
        ("payouts_ledger_no_truncate", "payouts_ledgerentry", "payouts_ledger_append_only"),
        ("billing_payment_append_only", "billing_payment", "billing_append_only"),
        ("billing_topup_append_only", "billing_topup", "billing_append_only"),
        ("accounts_audit_no_update_or_delete", "auditlog_logentry", "accounts_audit_append_only"),
        ("accounts_audit_no_truncate", "auditlog_logentry", "accounts_audit_append_only"),
        ("offers_terms_versions_no_update", "offers_offerterms", "offers_terms_versions_immutable"),
    }


def test_a_built_guard_refuses_update_and_delete_but_not_insert():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE guarded (id int, amount int)")
        cursor.execute(append_only_function("guarded_append_only", hint="Append another."))
        cursor.execute(
            row_trigger("guarded_no_change", table="guarded", function="guarded_append_only")
        )
        cursor.execute("INSERT INTO guarded VALUES (1, 7)")
    for statement in ("UPDATE guarded SET amount = 8", "DELETE FROM guarded"):
        with (
            pytest.raises(DatabaseError, match="guarded is append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert fetch("SELECT id, amount FROM guarded") == [(1, 7)]
