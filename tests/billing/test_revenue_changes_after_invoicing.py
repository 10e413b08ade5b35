"""A change to an invoiced conversion's revenue (an adjustment up or down, a lower sale amount,
a reversal) never edits the issued invoice: the difference between what its invoices billed and
what it is worth now is a debit or a credit on the next invoice. Charged once; credited at most
what was billed, which the database refuses to go below."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction

from billing.models import Invoice, InvoiceItem, InvoiceLine
from billing.services.invoices import invoice_drafts_build, invoice_issue
from tests import factories
from tests.billing.conftest import JULY, JUNE, close_month, conversion, july, june
from tracking.models import Conversion

pytestmark = pytest.mark.django_db

AUGUST, SEPTEMBER = JUNE.replace(month=8), JUNE.replace(month=9)


def _issue(advertiser, month, finance):
    close_month(month)
    (draft,) = invoice_drafts_build(
        advertiser_id=advertiser.id, period_start=month, built_by=finance
    )
    return invoice_issue(invoice_id=draft.id, issued_by=finance)


def _lines(invoice):
    return sorted((line.kind, line.quantity, line.amount) for line in invoice.lines.all())


def _change(row, **fields):
    Conversion.objects.filter(id=row.id).update(**fields)


def test_adjust_up_adjust_down_then_reverse_after_adjusting(advertiser, finance):
    goal = factories.GoalFactory(offer__advertiser=advertiser, offer__name="Shoes", name="Sale")
    a = conversion(goal=goal, revenue="10.00", at=june(3))
    b = conversion(goal=goal, revenue="4.00", at=june(4))
    june_invoice = _issue(advertiser, JUNE, finance)
    assert june_invoice.total == Decimal("14.00")

    # July: A adjusted up to 12.50 (+2.50), B's sale lowered, revenue 3.00 (-1.00), C new 5.00.
    _change(a, revenue=Decimal("12.50"))
    _change(b, revenue=Decimal("3.00"))
    conversion(goal=goal, revenue="5.00", at=july(2))
    july_invoice = _issue(advertiser, JULY, finance)
    assert _lines(july_invoice) == [
        ("charge", 1, Decimal("5.00")),
        ("credit", 1, Decimal("-1.00")),
        ("debit", 1, Decimal("2.50")),
    ]
    assert (july_invoice.charges, july_invoice.credits, july_invoice.total) == (
        Decimal("7.50"),
        Decimal("-1.00"),
        Decimal("6.50"),
    )
    debit = july_invoice.lines.get(kind=InvoiceLine.Kind.DEBIT)
    assert debit.description.startswith("Debit: Shoes / Sale")

    # August: A reversed after its adjustment: credited all it was billed (10.00 + 2.50), no
    # more; B raised again to 4.50 (+1.50 on the 3.00 now billed).
    _change(a, status=Conversion.Status.REVERSED)
    _change(b, revenue=Decimal("4.50"))
    august_invoice = _issue(advertiser, AUGUST, finance)
    assert _lines(august_invoice) == [
        ("credit", 1, Decimal("-12.50")),
        ("debit", 1, Decimal("1.50")),
    ]
    assert august_invoice.total == Decimal("-11.00")

    # Issued invoices never changed; what each conversion was billed in all is what it is worth.
    june_invoice.refresh_from_db()
    july_invoice.refresh_from_db()
    assert (june_invoice.total, july_invoice.total) == (Decimal("14.00"), Decimal("6.50"))
    billed = {
        c: sum(InvoiceItem.objects.filter(conversion_id=c).values_list("amount", flat=True))
        for c in (a.id, b.id)
    }
    assert billed == {a.id: Decimal("0"), b.id: Decimal("4.50")}
    assert InvoiceItem.objects.filter(conversion_id=a.id, kind="charge").count() == 1
    # Nothing left to bill or credit.
    close_month(SEPTEMBER)
    assert (
        invoice_drafts_build(advertiser_id=advertiser.id, period_start=SEPTEMBER, built_by=finance)
        == []
    )


def test_a_change_after_invoicing_alone_makes_the_next_invoice(advertiser, finance):
    goal = factories.GoalFactory(offer__advertiser=advertiser)
    row = conversion(goal=goal, revenue="8.00", at=june(3))
    _issue(advertiser, JUNE, finance)
    _change(row, revenue=Decimal("8.005"))  # rounds to 8.01: one cent more
    july_invoice = _issue(advertiser, JULY, finance)
    assert _lines(july_invoice) == [("debit", 1, Decimal("0.01"))]


def test_a_change_that_rounds_to_the_same_amount_bills_nothing(advertiser, finance):
    goal = factories.GoalFactory(offer__advertiser=advertiser)
    row = conversion(goal=goal, revenue="8.00", at=june(3))
    _issue(advertiser, JUNE, finance)
    _change(row, revenue=Decimal("8.004"))
    assert (
        invoice_drafts_build(advertiser_id=advertiser.id, period_start=JULY, built_by=finance) == []
    )


def test_the_database_refuses_crediting_more_than_was_billed(advertiser, finance):
    goal = factories.GoalFactory(offer__advertiser=advertiser)
    row = conversion(goal=goal, revenue="8.00", at=june(3))
    _issue(advertiser, JUNE, finance)
    _change(row, status=Conversion.Status.REVERSED)
    (draft,) = invoice_drafts_build(
        advertiser_id=advertiser.id, period_start=JULY, built_by=finance
    )
    assert draft.total == Decimal("-8.00")
    line = draft.lines.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        InvoiceItem.objects.create(
            invoice=draft, line=line, kind="credit", conversion_id=row.id, amount=Decimal("-0.01")
        )
    with pytest.raises(DatabaseError), transaction.atomic():
        InvoiceItem.objects.create(
            invoice=draft, line=line, kind="charge", conversion_id=row.id, amount=Decimal("1")
        )
    assert Invoice.objects.get(id=draft.id).total == Decimal("-8.00")
