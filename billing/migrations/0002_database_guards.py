"""Promises the database keeps for billing, whatever the Python code does.

PostgreSQL: an issued invoice never changes and is never deleted (a draft may be issued once);
its lines and items are written only while it is a draft; payments and top-ups are inserted,
never updated or deleted (a correction is another row); a payment has its invoice's currency and
is recorded against an issued invoice only.

SQLite (the embedded mode) gets the cheap part: no UPDATE of an issued invoice, of a payment or
of a top-up.
"""

from django.db import migrations

from core.db_guards import VendorSQL, append_only_function, row_trigger, sqlite_refusal

POSTGRES_FORWARD = (
    r"""
CREATE FUNCTION billing_invoice_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'issued' THEN
        RAISE EXCEPTION 'invoice % is issued and never changes (%): credit it on the next one',
            OLD.id, TG_OP USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.status NOT IN ('draft', 'issued') THEN
        RAISE EXCEPTION 'invoice % cannot go to %', OLD.id, NEW.status
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER billing_invoice_guard
    BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_guard();

CREATE FUNCTION billing_invoice_part_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    invoice_status text;
BEGIN
    SELECT status INTO invoice_status FROM billing_invoice
    WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.invoice_id ELSE NEW.invoice_id END;
    IF invoice_status = 'issued' OR (TG_OP = 'UPDATE' AND EXISTS (
        SELECT 1 FROM billing_invoice WHERE id = OLD.invoice_id AND status = 'issued'
    )) THEN
        RAISE EXCEPTION '% of an issued invoice: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER billing_invoiceline_guard
    BEFORE INSERT OR UPDATE OR DELETE ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_part_guard();
CREATE TRIGGER billing_invoiceitem_guard
    BEFORE INSERT OR UPDATE OR DELETE ON billing_invoiceitem
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_part_guard();

"""
    + append_only_function("billing_append_only", hint="Correct a row by appending another.")
    + row_trigger(
        "billing_payment_append_only", table="billing_payment", function="billing_append_only"
    )
    + row_trigger(
        "billing_topup_append_only", table="billing_topup", function="billing_append_only"
    )
    + r"""
CREATE FUNCTION billing_payment_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM billing_invoice
        WHERE id = NEW.invoice_id AND status = 'issued' AND currency = NEW.currency
    ) THEN
        RAISE EXCEPTION 'a payment goes against an issued invoice, in its currency'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER billing_payment_guard
    BEFORE INSERT ON billing_payment
    FOR EACH ROW EXECUTE FUNCTION billing_payment_guard();
"""
)

POSTGRES_BACKWARD = """
DROP TRIGGER billing_payment_guard ON billing_payment;
DROP FUNCTION billing_payment_guard();
DROP TRIGGER billing_topup_append_only ON billing_topup;
DROP TRIGGER billing_payment_append_only ON billing_payment;
DROP FUNCTION billing_append_only();
DROP TRIGGER billing_invoiceitem_guard ON billing_invoiceitem;
DROP TRIGGER billing_invoiceline_guard ON billing_invoiceline;
DROP FUNCTION billing_invoice_part_guard();
DROP TRIGGER billing_invoice_guard ON billing_invoice;
DROP FUNCTION billing_invoice_guard();
"""

SQLITE_FORWARD = [
    """
    CREATE TRIGGER billing_invoice_issued_frozen BEFORE UPDATE ON billing_invoice
    WHEN OLD.status = 'issued'
    BEGIN SELECT RAISE(ABORT, 'invoice is issued and never changes'); END
    """,
    *(
        sqlite_refusal(
            f"{table}_no_update",
            table=table,
            event="UPDATE",
            message=f"{table} is append-only: UPDATE refused",
        )
        for table in ("billing_payment", "billing_topup")
    ),
]

SQLITE_BACKWARD = [
    "DROP TRIGGER billing_topup_no_update",
    "DROP TRIGGER billing_payment_no_update",
    "DROP TRIGGER billing_invoice_issued_frozen",
]


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [
        VendorSQL(
            postgresql=[POSTGRES_FORWARD],
            postgresql_reverse=[POSTGRES_BACKWARD],
            sqlite=SQLITE_FORWARD,
            sqlite_reverse=SQLITE_BACKWARD,
        )
    ]
