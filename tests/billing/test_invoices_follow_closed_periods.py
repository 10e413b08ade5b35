"""An invoice follows the books: drafted any time, issued only once every month of its period
is closed (validated by one finance user, closed by another), and its charge lines are exactly
the approved revenue of that month. Earlier months' late approvals are debits, never charges."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing.models import InvoiceLine
from billing.services.invoices import invoice_drafts_build, invoice_issue
from core.errors import DomainError
from payouts.services.periods import period_validate
from tests import factories
from tests.billing.conftest import JUNE, close_month, conversion, july, june
from tests.conftest import client_for
from tracking.models import Conversion

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale(advertiser):
    return factories.GoalFactory(offer__advertiser=advertiser, offer__name="Shoes", name="Sale")


def test_a_draft_is_made_any_time_but_issued_only_once_its_month_is_closed(
    advertiser, sale, finance
):
    conversion(goal=sale, revenue="10.00", at=june(2))
    (draft,) = invoice_drafts_build(
        advertiser_id=advertiser.id, period_start=JUNE, built_by=finance
    )
    assert draft.total == Decimal("10.00")

    with pytest.raises(DomainError) as open_month:
        invoice_issue(invoice_id=draft.id, issued_by=finance)
    assert (open_month.value.code, open_month.value.status_code) == ("period_not_closed", 409)

    period_validate(month=JUNE, validated_by=factories.FinanceUserFactory())
    with pytest.raises(DomainError) as validated_only:
        invoice_issue(invoice_id=draft.id, issued_by=finance)
    assert validated_only.value.code == "period_not_closed"
    draft.refresh_from_db()
    assert (draft.status, draft.number) == ("draft", None)


def test_the_api_answers_409_while_the_month_is_open_and_issues_once_it_is_closed(
    advertiser, sale, finance
):
    conversion(goal=sale, revenue="3.00", at=june(2))
    api = client_for(finance)
    (built,) = api.post(
        "/api/v1/invoices/",
        {"advertiser": advertiser.id, "period_start": "2025-06-01"},
        format="json",
    ).json()
    refused = api.post(f"/api/v1/invoices/{built['id']}/issue/")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "period_not_closed"
    assert "2025-06" in refused.json()["error"]["message"]

    close_month(JUNE)
    issued = api.post(f"/api/v1/invoices/{built['id']}/issue/")
    assert issued.status_code == 200 and issued.json()["total"] == "3.00"


def test_the_charge_lines_are_exactly_the_approved_revenue_of_the_closed_month(
    advertiser, sale, finance
):
    lead = factories.GoalFactory(offer=sale.offer, name="Lead", is_default=False)
    # June, approved: 10.00 + 2.345 (half-up: 2.35) + 0.004 (0.00) on Sale; 1.255 (1.26) Lead.
    conversion(goal=sale, revenue="10.00", at=june(1, 0))
    conversion(goal=sale, revenue="2.345", at=june(15))
    conversion(goal=sale, revenue="0.004", at=june(30, 23))
    conversion(goal=lead, revenue="1.255", at=june(20))
    # Not June's approved revenue: pending, rejected, July's, and May's late approval.
    conversion(goal=sale, revenue="50", at=june(5), status=Conversion.Status.PENDING)
    conversion(goal=sale, revenue="50", at=june(5), status=Conversion.Status.REJECTED)
    conversion(goal=sale, revenue="50", at=july(1, 0))
    conversion(goal=sale, revenue="0.80", at=datetime(2025, 5, 31, 12, tzinfo=UTC))
    (draft,) = invoice_drafts_build(
        advertiser_id=advertiser.id, period_start=JUNE, built_by=finance
    )
    close_month(JUNE)
    invoice = invoice_issue(invoice_id=draft.id, issued_by=finance)

    lines = {
        (line.kind, line.goal_id): (line.quantity, line.amount) for line in invoice.lines.all()
    }
    assert lines == {
        ("charge", sale.id): (3, Decimal("12.35")),
        ("charge", lead.id): (1, Decimal("1.26")),
        # May was never invoiced: its late approval is a debit, not June's revenue.
        ("debit", sale.id): (1, Decimal("0.80")),
    }
    charged = sum(line.amount for line in invoice.lines.filter(kind=InvoiceLine.Kind.CHARGE))
    assert charged == Decimal("13.61")
    assert (invoice.charges, invoice.credits, invoice.total) == (
        Decimal("14.41"),
        Decimal("0"),
        Decimal("14.41"),
    )
