"""The audit log is append-only, kept by the database like the ledger (payouts 0003).

PostgreSQL refuses UPDATE, DELETE and TRUNCATE of auditlog_logentry. One UPDATE is let through:
deleting a user sets its entries' actor_id to NULL (the FK's SET_NULL), which keeps the entry and
its actor_email. TRUNCATE is let through only in a Django test database (named test_*), whose
runner empties every table between tests. SQLite (the embedded mode) refuses the same UPDATEs;
it cannot refuse DELETE, because Django's test runner empties SQLite tables with DELETE.
"""

from django.db import migrations

from core.db_guards import (
    VendorSQL,
    append_only_function,
    row_trigger,
    sqlite_refusal,
    truncate_trigger,
)

AUDIT = "auditlog_logentry"
# Deleting a user sets its entries' actor_id to NULL: the one UPDATE let through.
ACTOR_SET_NULL = """    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
        AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
"""
POSTGRES_FORWARD = (
    "\n"
    + append_only_function(
        "accounts_audit_append_only",
        table=AUDIT,
        truncate_in_tests=True,
        let_through=ACTOR_SET_NULL,
    )
    + row_trigger(
        "accounts_audit_no_update_or_delete", table=AUDIT, function="accounts_audit_append_only"
    )
    + truncate_trigger(
        "accounts_audit_no_truncate", table=AUDIT, function="accounts_audit_append_only"
    )
)

POSTGRES_BACKWARD = """
DROP TRIGGER accounts_audit_no_truncate ON auditlog_logentry;
DROP TRIGGER accounts_audit_no_update_or_delete ON auditlog_logentry;
DROP FUNCTION accounts_audit_append_only();
"""

_COLUMNS = (
    "content_type_id, object_pk, object_id, object_repr, serialized_data, action, changes_text,"
    " changes, cid, remote_addr, remote_port, timestamp, additional_data, actor_email"
)
SQLITE_FORWARD = [
    sqlite_refusal(
        "accounts_audit_no_update",
        table=AUDIT,
        event=f"UPDATE OF {_COLUMNS}",
        message="auditlog_logentry is append-only: UPDATE refused",
    ),
    sqlite_refusal(
        "accounts_audit_no_actor_update",
        table=AUDIT,
        event="UPDATE OF actor_id",
        when="NEW.actor_id IS NOT NULL",
        message="auditlog_logentry is append-only: UPDATE refused",
    ),
]
SQLITE_BACKWARD = [
    "DROP TRIGGER accounts_audit_no_actor_update",
    "DROP TRIGGER accounts_audit_no_update",
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_staff_changes_and_no_default_role"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [
        VendorSQL(
            postgresql=[POSTGRES_FORWARD],
            postgresql_reverse=[POSTGRES_BACKWARD],
            sqlite=SQLITE_FORWARD,
            sqlite_reverse=SQLITE_BACKWARD,
        )
    ]
