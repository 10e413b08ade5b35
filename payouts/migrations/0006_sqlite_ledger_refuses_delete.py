"""The embedded SQLite ledger refuses DELETE too, as PostgreSQL's does (0003 gave SQLite only
the UPDATE guard).

0003 left DELETE open because Django's test runner empties SQLite tables with DELETE between
transactional tests. No transactional SQLite test leaves ledger rows (they run inside a
transaction that is rolled back), and an append-only ledger that a stray DELETE can empty is
not append-only, so the trigger refuses every DELETE, test databases included: a test that
needs an empty ledger uses a rolled-back transaction, never a DELETE.

"""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE TRIGGER payouts_ledger_no_delete BEFORE DELETE ON payouts_ledgerentry
    BEGIN SELECT RAISE(ABORT, 'payouts_ledgerentry is append-only: DELETE refused'); END
    """,
]

SQLITE_BACKWARD = ["DROP TRIGGER payouts_ledger_no_delete"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("payouts", "0005_four_eyes_requests")]

    operations = [migrations.RunPython(forward, backward)]
