"""Finance pages for advertiser billing: a month drafted, issued, paid in part, and its PDF and
CSV; managers read; advertisers and publishers are not let in."""

from decimal import Decimal

import pytest

from billing.models import Invoice, Payment
from tests import factories
from tests.billing.conftest import JUNE, close_month, conversion, june
from tests.portal.conftest import client_as

pytestmark = pytest.mark.django_db


def signed_in(factory):
    user = factory()
    user.save()  # the factories set the password in memory only; sessions check it
    return client_as(user)


@pytest.fixture
def advertiser():
    advertiser = factories.AdvertiserFactory(name="Shop & Co")
    goal = factories.GoalFactory(offer__advertiser=advertiser, offer__name="Shoes", name="Sale")
    conversion(goal=goal, revenue="12.34", at=june(3))
    conversion(goal=goal, revenue="0.66", at=june(4))
    return advertiser


def test_finance_drafts_issues_and_records_a_payment_on_the_pages(advertiser):
    finance = signed_in(factories.FinanceUserFactory)
    response = finance.post(
        "/finance/invoices/draft/", {"advertiser": advertiser.id, "month": "2025-06"}
    )
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{invoice.id}/")
    page = finance.get(f"/finance/invoices/{invoice.id}/").content.decode()
    assert "Shoes / Sale" in page and "13.00 USD" in page and "draft" in page

    finance.post(f"/finance/invoices/{invoice.id}/issue/")
    invoice.refresh_from_db()
    assert invoice.status == "draft", "June is not closed yet"
    close_month(JUNE)
    finance.post(f"/finance/invoices/{invoice.id}/issue/")
    invoice.refresh_from_db()
    assert invoice.status == "issued" and invoice.number == 1

    finance.post(
        f"/finance/invoices/{invoice.id}/pay/",
        {"amount": "10.00", "received_on": "2025-07-05", "reference": "wire 881"},
    )
    assert Payment.objects.get().amount == Decimal("10.00")
    page = finance.get(f"/finance/invoices/{invoice.id}/").content.decode()
    assert "partly_paid" in page and "3.00 USD" in page
    listing = finance.get("/finance/invoices/").content.decode()
    assert invoice.number_display in listing and "Receivables" in listing
    assert "wire 881" in finance.get("/finance/payments/").content.decode()

    pdf = finance.get(f"/finance/invoices/{invoice.id}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    csv = finance.get(f"/finance/invoices/{invoice.id}/csv/").content.decode()
    assert "Shop & Co" in csv and "13.00,USD" in csv


def test_a_manager_reads_invoices_but_cannot_issue_one(advertiser):
    finance = signed_in(factories.FinanceUserFactory)
    finance.post("/finance/invoices/draft/", {"advertiser": advertiser.id, "month": "2025-06"})
    invoice = Invoice.objects.get()
    manager = signed_in(factories.ManagerFactory)
    assert manager.get(f"/finance/invoices/{invoice.id}/").status_code == 200
    manager.post(f"/finance/invoices/{invoice.id}/issue/")
    invoice.refresh_from_db()
    assert invoice.status == "draft"


@pytest.mark.parametrize(
    "factory", [factories.AdvertiserUserFactory, factories.PublisherUserFactory]
)
def test_partners_are_not_let_into_the_invoice_pages(advertiser, factory):
    response = signed_in(factory).get("/finance/invoices/")
    assert response.status_code in (302, 403, 404)
