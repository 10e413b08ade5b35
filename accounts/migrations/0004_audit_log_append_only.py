"""The audit log is append-only, kept by the database like the ledger (payouts 0003).

PostgreSQL refuses UPDATE, DELETE and TRUNCATE of auditlog_logentry. One UPDATE is let through:
deleting a user sets its entries' actor_id to NULL (the FK's SET_NULL), which keeps the entry and
its actor_email. TRUNCATE is let through only in a Django test database (named test_*), whose
runner empties every table between tests. SQLite (the embedded mode) refuses the same UPDATEs;
it cannot refuse DELETE, because Django's test runner empties SQLite tables with DELETE.
"""

from django.db import migrations

POSTGRES_FORWARD = r"""
CREATE FUNCTION accounts_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_database() LIKE 'test\_%' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
        AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'auditlog_logentry is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER accounts_audit_no_update_or_delete
    BEFORE UPDATE OR DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION accounts_audit_append_only();
CREATE TRIGGER accounts_audit_no_truncate
    BEFORE TRUNCATE ON auditlog_logentry
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_audit_append_only();
"""

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
    f"""CREATE TRIGGER accounts_audit_no_update BEFORE UPDATE OF {_COLUMNS} ON auditlog_logentry
    BEGIN SELECT RAISE(ABORT, 'auditlog_logentry is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER accounts_audit_no_actor_update BEFORE UPDATE OF actor_id ON auditlog_logentry
    WHEN NEW.actor_id IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'auditlog_logentry is append-only: UPDATE refused'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER accounts_audit_no_actor_update",
    "DROP TRIGGER accounts_audit_no_update",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_staff_changes_and_no_default_role"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(forward, backward)]
