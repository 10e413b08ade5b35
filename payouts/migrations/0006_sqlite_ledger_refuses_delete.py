"""The embedded SQLite ledger refuses DELETE too, as PostgreSQL's does (0003 gave SQLite only
the UPDATE guard).

0003 left DELETE open because Django's test runner empties SQLite tables with DELETE between
transactional tests. No transactional SQLite test leaves ledger rows (they run inside a
transaction that is rolled back), and an append-only ledger that a stray DELETE can empty is
not append-only, so the trigger refuses every DELETE, test databases included: a test that
needs an empty ledger uses a rolled-back transaction, never a DELETE.

"""

from django.db import migrations

from core.db_guards import VendorSQL, sqlite_refusal

SQLITE_FORWARD = [
    sqlite_refusal(
        "payouts_ledger_no_delete",
        table="payouts_ledgerentry",
        event="DELETE",
        message="payouts_ledgerentry is append-only: DELETE refused",
    ),
]

SQLITE_BACKWARD = ["DROP TRIGGER payouts_ledger_no_delete"]


class Migration(migrations.Migration):
    dependencies = [("payouts", "0005_four_eyes_requests")]

    operations = [VendorSQL(sqlite=SQLITE_FORWARD, sqlite_reverse=SQLITE_BACKWARD)]
