"""An advertiser's invoice pages: its own issued invoices listed (number, period, currency, total,
paid, due), one opened with its lines, the credit notes later invoices carry for it and its
payments, and its PDF and CSV. Never another advertiser's (404), never a draft; publishers and
staff are not let in (staff have the finance pages)."""

from datetime import date
from decimal import Decimal

import pytest

from billing.services.invoices import invoice_drafts_build, invoice_issue
from billing.services.receivables import invoice_payment_record
from tests import factories
from tests.billing.conftest import JULY, JUNE, close_month, conversion, july, june
from tests.portal.conftest import client_as
from tracking.models import Conversion

pytestmark = pytest.mark.django_db


def signed_in(user):
    user.save()  # the factories set the password in memory only; sessions check it
    return client_as(user)


def issue(advertiser, month, finance):
    (draft,) = invoice_drafts_build(
        advertiser_id=advertiser.id, period_start=month, built_by=finance
    )
    return invoice_issue(invoice_id=draft.id, issued_by=finance)


@pytest.fixture
def books():
    finance = factories.FinanceUserFactory()
    shop = factories.AdvertiserFactory(name="Shop & Co")
    goal = factories.GoalFactory(offer__advertiser=shop, offer__name="Shoes", name="Sale")
    kept = conversion(goal=goal, revenue="30.00", at=june(3))
    returned = conversion(goal=goal, revenue="12.50", at=june(4))
    close_month(JUNE)
    june_invoice = issue(shop, JUNE, finance)
    invoice_payment_record(
        invoice_id=june_invoice.id,
        amount=Decimal("40.00"),
        received_on=date(2025, 7, 10),
        reference="wire 42",
        recorded_by=finance,
    )
    Conversion.objects.filter(id=returned.id).update(status=Conversion.Status.REVERSED)
    conversion(goal=goal, revenue="20.00", at=july(2))
    close_month(JULY)
    july_invoice = issue(shop, JULY, finance)
    # Another advertiser's invoice, and a draft of Shop & Co's for August.
    rival = factories.AdvertiserFactory(name="Rival")
    conversion(goal=factories.GoalFactory(offer__advertiser=rival), revenue="9.00", at=june(2))
    rival_invoice = issue(rival, JULY, finance)
    conversion(goal=goal, revenue="1.00", at=july(2).replace(month=8))
    (draft,) = invoice_drafts_build(
        advertiser_id=shop.id, period_start=JULY.replace(month=8), built_by=finance
    )
    return {
        "shop": shop,
        "june": june_invoice,
        "july": july_invoice,
        "rival": rival_invoice,
        "draft": draft,
        "kept": kept,
    }


def test_an_advertiser_lists_its_own_issued_invoices_with_what_is_paid_and_due(books):
    page = signed_in(factories.AdvertiserUserFactory(advertiser=books["shop"]))
    listing = page.get("/advertiser/invoices/")
    assert listing.status_code == 200
    html = listing.content.decode()
    june_number, july_number = books["june"].number_display, books["july"].number_display
    assert june_number in html and july_number in html
    # June: 42.50 billed, 40.00 paid, 2.50 due; July: 20.00 - 12.50 credited = 7.50, all due.
    assert "42.50" in html and "40.00" in html and "2.50" in html and "7.50" in html
    assert books["rival"].number_display not in html
    assert f"/advertiser/invoices/{books['draft'].id}/" not in html
    assert "/advertiser/invoices/" in page.get("/advertiser/").content.decode()


def test_an_advertiser_opens_an_invoice_with_lines_credit_notes_and_payments(books):
    page = signed_in(factories.AdvertiserUserFactory(advertiser=books["shop"]))
    html = page.get(f"/advertiser/invoices/{books['june'].id}/").content.decode()
    assert "Shoes / Sale" in html and "42.50 USD" in html and "partly_paid" in html
    assert "wire 42" in html and "2.50 USD" in html
    # The reversal after issue is a credit note on July's invoice, shown from June's.
    assert books["july"].number_display in html and "-12.50" in html
    july = page.get(f"/advertiser/invoices/{books['july'].id}/").content.decode()
    assert "Credit: Shoes / Sale" in july and "7.50 USD" in july

    pdf = page.get(f"/advertiser/invoices/{books['june'].id}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"].endswith(f'{books["june"].number_display}.pdf"')
    csv = page.get(f"/advertiser/invoices/{books['june'].id}/csv/").content.decode()
    assert "Shop & Co" in csv and "42.50,USD" in csv
    assert page.get(f"/advertiser/invoices/{books['june'].id}/xls/").status_code == 404


def test_another_advertisers_invoice_and_a_draft_are_not_found(books):
    page = signed_in(factories.AdvertiserUserFactory(advertiser=books["shop"]))
    for invoice in (books["rival"], books["draft"]):
        for suffix in ("", "pdf/", "csv/"):
            assert page.get(f"/advertiser/invoices/{invoice.id}/{suffix}").status_code == 404


@pytest.mark.parametrize(
    "factory",
    [
        factories.PublisherUserFactory,
        factories.ManagerFactory,
        factories.FinanceUserFactory,
    ],
)
def test_publishers_and_staff_are_not_let_into_the_advertiser_invoice_pages(books, factory):
    page = signed_in(factory())
    for path in ("", f"{books['june'].id}/", f"{books['june'].id}/pdf/"):
        response = page.get(f"/advertiser/invoices/{path}")
        assert response.status_code in (302, 403, 404)
        assert b"%PDF" not in response.content
