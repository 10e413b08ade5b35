"""Promises the database keeps, whatever the Python code does.

PostgreSQL: the ledger refuses UPDATE, DELETE and TRUNCATE (TRUNCATE is let through only in a
Django test database, named test_*, whose test runner empties every table between tests); a batch
moves only forward through its states and freezes its totals from approval on; lines and
inclusions are written only while their batch is a draft; a paid batch's lines may only go from
ok to failed; a line has its batch's currency, and each statement writing inclusions is
checked in one join (line and entry exist, same publisher, same currency), so currencies
cannot mix.

SQLite (the embedded mode) gets the cheap part: no UPDATE of a ledger row, no change to a paid
batch. It cannot refuse DELETE, because Django's test runner empties SQLite tables with DELETE.
"""

from django.db import migrations

from core.db_guards import (
    VendorSQL,
    append_only_function,
    row_trigger,
    sqlite_refusal,
    truncate_trigger,
)

LEDGER = "payouts_ledgerentry"
POSTGRES_FORWARD = (
    "\n"
    + append_only_function(
        "payouts_ledger_append_only",
        table=LEDGER,
        hint="Correct an entry by appending another.",
        truncate_in_tests=True,
    )
    + row_trigger(
        "payouts_ledger_no_update_or_delete", table=LEDGER, function="payouts_ledger_append_only"
    )
    + truncate_trigger(
        "payouts_ledger_no_truncate", table=LEDGER, function="payouts_ledger_append_only"
    )
    + r"""

CREATE FUNCTION payouts_batch_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'payout batch % is %: only a draft can be deleted', OLD.id, OLD.status
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'paid' THEN
        RAISE EXCEPTION 'payout batch % is paid and never changes', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN (
        ('draft', 'approved'), ('approved', 'exported'), ('approved', 'paid'), ('exported', 'paid')
    ) THEN
        RAISE EXCEPTION 'payout batch % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.currency <> OLD.currency OR (OLD.status <> 'draft' AND (
        NEW.cut_off, NEW.total, NEW.line_count, NEW.entry_count, NEW.built_by_id, NEW.built_at,
        NEW.approved_by_id, NEW.approved_at
    ) IS DISTINCT FROM (
        OLD.cut_off, OLD.total, OLD.line_count, OLD.entry_count, OLD.built_by_id, OLD.built_at,
        OLD.approved_by_id, OLD.approved_at
    )) THEN
        RAISE EXCEPTION 'payout batch % is %: its content is frozen', OLD.id, OLD.status
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER payouts_batch_guard
    BEFORE UPDATE OR DELETE ON payouts_payoutbatch
    FOR EACH ROW EXECUTE FUNCTION payouts_batch_guard();

CREATE FUNCTION payouts_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    batch_status text;
    batch_currency text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT status INTO batch_status FROM payouts_payoutbatch WHERE id = OLD.batch_id;
    ELSE
        SELECT status, currency INTO batch_status, batch_currency
        FROM payouts_payoutbatch WHERE id = NEW.batch_id;
        IF NEW.currency IS DISTINCT FROM batch_currency THEN
            RAISE EXCEPTION 'payout line in % for a % batch (same_currency)',
                NEW.currency, batch_currency USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'DELETE') THEN
        IF batch_status IS DISTINCT FROM 'draft' THEN
            RAISE EXCEPTION 'payout batch is %: its lines are frozen', batch_status
                USING ERRCODE = 'restrict_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.batch_id, NEW.publisher_id, NEW.currency, NEW.amount, NEW.payout_method,
        NEW.payout_details, NEW.payee_name, NEW.reference)
       IS DISTINCT FROM (OLD.batch_id, OLD.publisher_id, OLD.currency, OLD.amount,
        OLD.payout_method, OLD.payout_details, OLD.payee_name, OLD.reference)
    THEN
        RAISE EXCEPTION 'payout line % is frozen', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    IF NOT (OLD.status = 'ok' AND NEW.status = 'failed' AND batch_status = 'paid') THEN
        RAISE EXCEPTION 'payout line % may only go from ok to failed once its batch is paid',
            OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER payouts_line_guard
    BEFORE INSERT OR UPDATE OR DELETE ON payouts_payoutbatchline
    FOR EACH ROW EXECUTE FUNCTION payouts_line_guard();

-- A line goes only once its inclusions have gone (checked per statement: one join).
CREATE FUNCTION payouts_line_delete_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM payouts_payoutlineentry i JOIN changed_rows o ON o.id = i.line_id
        WHERE i.line_id BETWEEN (SELECT min(id) FROM changed_rows)
            AND (SELECT max(id) FROM changed_rows)
    ) THEN
        RAISE EXCEPTION 'a deleted payout line still holds entries'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER payouts_line_delete_guard
    AFTER DELETE ON payouts_payoutbatchline REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION payouts_line_delete_guard();

-- Inclusions are written a million at a time: per-row foreign-key triggers would cost more than
-- the build, so each statement is checked once, with one join over its new (or deleted) rows.
CREATE FUNCTION payouts_inclusion_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'payout line entries are never updated'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF EXISTS (
        SELECT 1 FROM payouts_payoutbatch b
        WHERE b.status <> 'draft' AND b.id IN (
            SELECT l.batch_id FROM payouts_payoutbatchline l
            WHERE l.id IN (SELECT DISTINCT line_id FROM changed_rows)
        )
    ) THEN
        RAISE EXCEPTION 'payout batch is not a draft: its entries are frozen'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'INSERT' AND EXISTS (
        SELECT 1 FROM changed_rows n
        LEFT JOIN payouts_payoutbatchline l ON l.id = n.line_id
        LEFT JOIN payouts_ledgerentry e ON e.id = n.entry_id
        WHERE l.id IS NULL OR e.id IS NULL OR e.kind = 'payment'
            OR n.currency <> l.currency OR n.currency <> e.currency
            OR e.publisher_id <> l.publisher_id
    ) THEN
        RAISE EXCEPTION 'payout line entries must join a line to an entry (not a payment) of the same publisher and currency (same_currency)'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER payouts_inclusion_guard_insert
    AFTER INSERT ON payouts_payoutlineentry REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION payouts_inclusion_guard();
CREATE TRIGGER payouts_inclusion_guard_delete
    AFTER DELETE ON payouts_payoutlineentry REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION payouts_inclusion_guard();
CREATE INDEX payouts_payoutlineentry_line_brin ON payouts_payoutlineentry USING brin (line_id);
CREATE TRIGGER payouts_inclusion_no_update
    BEFORE UPDATE ON payouts_payoutlineentry
    FOR EACH ROW EXECUTE FUNCTION payouts_inclusion_guard();
"""
)

POSTGRES_BACKWARD = """
DROP TRIGGER payouts_inclusion_no_update ON payouts_payoutlineentry;
DROP TRIGGER payouts_inclusion_guard_delete ON payouts_payoutlineentry;
DROP TRIGGER payouts_inclusion_guard_insert ON payouts_payoutlineentry;
DROP FUNCTION payouts_inclusion_guard();
DROP INDEX payouts_payoutlineentry_line_brin;
DROP TRIGGER payouts_line_delete_guard ON payouts_payoutbatchline;
DROP FUNCTION payouts_line_delete_guard();
DROP TRIGGER payouts_line_guard ON payouts_payoutbatchline;
DROP FUNCTION payouts_line_guard();
DROP TRIGGER payouts_batch_guard ON payouts_payoutbatch;
DROP FUNCTION payouts_batch_guard();
DROP TRIGGER payouts_ledger_no_truncate ON payouts_ledgerentry;
DROP TRIGGER payouts_ledger_no_update_or_delete ON payouts_ledgerentry;
DROP FUNCTION payouts_ledger_append_only();
"""

SQLITE_FORWARD = [
    "CREATE INDEX payouts_payoutlineentry_line ON payouts_payoutlineentry (line_id)",
    sqlite_refusal(
        "payouts_ledger_no_update",
        table=LEDGER,
        event="UPDATE",
        message="payouts_ledgerentry is append-only: UPDATE refused",
    ),
    """
    CREATE TRIGGER payouts_batch_paid_frozen BEFORE UPDATE ON payouts_payoutbatch
    WHEN OLD.status = 'paid'
    BEGIN SELECT RAISE(ABORT, 'payout batch is paid and never changes'); END
    """,
]

SQLITE_BACKWARD = [
    "DROP INDEX payouts_payoutlineentry_line",
    "DROP TRIGGER payouts_batch_paid_frozen",
    "DROP TRIGGER payouts_ledger_no_update",
]


class Migration(migrations.Migration):
    dependencies = [("payouts", "0002_batches_lines_inclusions")]

    operations = [
        VendorSQL(
            postgresql=[POSTGRES_FORWARD],
            postgresql_reverse=[POSTGRES_BACKWARD],
            sqlite=SQLITE_FORWARD,
            sqlite_reverse=SQLITE_BACKWARD,
        )
    ]
