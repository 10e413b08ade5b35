from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction

from billing.models import Invoice, InvoiceLine
from billing.services.invoices import invoice_drafts_build, invoice_issue
from core.money import money_round
from tests import factories
from tests.billing.conftest import JULY, JUNE, close_month, conversion, july, june
from tracking.models import Conversion

pytestmark = pytest.mark.django_db


@pytest.fixture
def goals(advertiser):
    offer = factories.OfferFactory(advertiser=advertiser, name="Shoes", currency="USD")
    sale = factories.GoalFactory(offer=offer, name="Sale")
    lead = factories.GoalFactory(offer=offer, name="Lead", is_default=False)
    euro = factories.GoalFactory(
        offer=factories.OfferFactory(advertiser=advertiser, name="Bags", currency="EUR"),
        name="Sale",
    )
    return sale, lead, euro


def test_an_invoice_adds_up_to_the_revenue_of_its_period_to_the_cent(advertiser, goals, finance):
    sale, lead, _ = goals
    amounts = ["10.005", "0.333333", "19.99", "7.125", "3.10"]
    billed = [conversion(goal=sale, revenue=a, at=june(d + 1)) for d, a in enumerate(amounts)]
    billed.append(conversion(goal=lead, revenue="2.50", at=june(30, 23)))
    # Not billed: pending, rejected, next month's.
    conversion(goal=sale, revenue="99", at=june(5), status=Conversion.Status.PENDING)
    conversion(goal=sale, revenue="99", at=june(5), status=Conversion.Status.REJECTED)
    conversion(goal=sale, revenue="99", at=july(1, 0))

    (draft,) = invoice_drafts_build(
        advertiser_id=advertiser.id, period_start=JUNE, built_by=finance
    )
    close_month(JUNE)
    invoice = invoice_issue(invoice_id=draft.id, issued_by=finance)

    expected = sum(money_round(c.revenue, "USD") for c in billed)
    assert invoice.total == expected == Decimal("43.06")
    lines = {(line.goal_id, line.quantity, line.amount) for line in invoice.lines.all()}
    assert lines == {(sale.id, 5, Decimal("40.56")), (lead.id, 1, Decimal("2.50"))}
    assert sum(line.amount for line in invoice.lines.all()) == invoice.total
    assert invoice.items.count() == 6
    assert invoice.number_display.startswith("INV-") and invoice.number_display.endswith("000001")


def test_one_invoice_per_currency_in_the_offers_currency(advertiser, goals, finance):
    sale, _, euro = goals
    conversion(goal=sale, revenue="5.00", at=june(2))
    conversion(goal=euro, revenue="8.00", at=june(3), currency="EUR")
    drafts = invoice_drafts_build(advertiser_id=advertiser.id, period_start=JUNE, built_by=finance)
    assert sorted((d.currency, d.total) for d in drafts) == [
        ("EUR", Decimal("8.00")),
        ("USD", Decimal("5.00")),
    ]


def test_an_issued_invoice_never_changes_and_the_database_refuses_an_update(
    advertiser, goals, finance
):
    sale, _, _ = goals
    conversion(goal=sale, revenue="12.00", at=june(2))
    (draft,) = invoice_drafts_build(
        advertiser_id=advertiser.id, period_start=JUNE, built_by=finance
    )
    close_month(JUNE)
    invoice = invoice_issue(invoice_id=draft.id, issued_by=finance)

    for attempt in (
        lambda: Invoice.objects.filter(id=invoice.id).update(total=Decimal("1.00")),
        lambda: Invoice.objects.filter(id=invoice.id).delete(),
        lambda: InvoiceLine.objects.filter(invoice=invoice).update(amount=Decimal("1.00")),
        lambda: InvoiceLine.objects.filter(invoice=invoice).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    invoice.refresh_from_db()
    assert invoice.total == Decimal("12.00")

    # A later approval of June is billed on the next period's invoice, not on this one.
    conversion(goal=sale, revenue="3.00", at=june(20))
    (july_draft,) = invoice_drafts_build(
        advertiser_id=advertiser.id, period_start=JULY, built_by=finance
    )
    assert july_draft.total == Decimal("3.00")
    invoice.refresh_from_db()
    assert invoice.total == Decimal("12.00")


def test_a_conversion_is_billed_exactly_once(advertiser, goals, finance):
    sale, _, _ = goals
    conversion(goal=sale, revenue="4.00", at=june(2))
    (draft,) = invoice_drafts_build(
        advertiser_id=advertiser.id, period_start=JUNE, built_by=finance
    )
    close_month(JUNE)
    invoice_issue(invoice_id=draft.id, issued_by=finance)
    assert (
        invoice_drafts_build(advertiser_id=advertiser.id, period_start=JULY, built_by=finance) == []
    )
