from decimal import Decimal

import pytest

from billing.models import InvoiceLine
from billing.services.invoices import invoice_drafts_build, invoice_issue
from tests import factories
from tests.billing.conftest import JULY, JUNE, close_month, conversion, july, june
from tracking.models import Conversion

pytestmark = pytest.mark.django_db


def test_a_reversal_after_invoicing_is_a_credit_line_on_the_next_invoice(advertiser, finance):
    goal = factories.GoalFactory(offer__advertiser=advertiser, offer__name="Shoes", name="Sale")
    kept = conversion(goal=goal, revenue="10.00", at=june(3))
    reversed_later = conversion(goal=goal, revenue="4.25", at=june(4))
    (june_draft,) = invoice_drafts_build(
        advertiser_id=advertiser.id, period_start=JUNE, built_by=finance
    )
    close_month(JUNE)
    june_invoice = invoice_issue(invoice_id=june_draft.id, issued_by=finance)
    assert june_invoice.total == Decimal("14.25")

    Conversion.objects.filter(id=reversed_later.id).update(status=Conversion.Status.REVERSED)
    conversion(goal=goal, revenue="6.00", at=july(2))
    (july_draft,) = invoice_drafts_build(
        advertiser_id=advertiser.id, period_start=JULY, built_by=finance
    )
    close_month(JULY)
    july_invoice = invoice_issue(invoice_id=july_draft.id, issued_by=finance)

    credit = july_invoice.lines.get(kind=InvoiceLine.Kind.CREDIT)
    assert (credit.quantity, credit.amount) == (1, Decimal("-4.25"))
    assert "Credit" in credit.description
    assert (july_invoice.charges, july_invoice.credits, july_invoice.total) == (
        Decimal("6.00"),
        Decimal("-4.25"),
        Decimal("1.75"),
    )
    # The issued June invoice is untouched, and numbers follow on.
    june_invoice.refresh_from_db()
    assert june_invoice.total == Decimal("14.25")
    assert july_invoice.number == june_invoice.number + 1
    # Credited once: the August invoice has nothing to credit again.
    assert kept.id in set(june_invoice.items.values_list("conversion_id", flat=True))
    assert (
        invoice_drafts_build(
            advertiser_id=advertiser.id, period_start=JULY.replace(month=8), built_by=finance
        )
        == []
    )
