"""Finance pages for the books: periods validated by one finance user and closed by another,
tax forms reviewed (never by their uploader), and a batch's held payees shown with why."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.network_time import month_of
from payouts.models import AccountingPeriod, TaxForm
from payouts.services import payout_batch_build
from payouts.services.payees import tax_form_upload
from tests import factories
from tests.payouts.conftest import days_ago, entry_write
from tests.portal.conftest import client_as as _client_as

pytestmark = pytest.mark.django_db


def client_as(user):
    user.save()  # the factories set the password on the instance only; sessions check it
    return _client_as(user)


def last_month() -> date:
    return (month_of(at=timezone.now()) - timedelta(days=1)).replace(day=1)


def test_a_month_is_validated_by_one_finance_user_and_closed_by_another_on_the_page():
    first, second = factories.FinanceUserFactory(), factories.FinanceUserFactory()
    label = f"{last_month():%Y-%m}"
    page = client_as(first).get("/finance/periods/")
    assert page.status_code == 200
    assert f'id="period-{label}"' in page.content.decode()

    client_as(first).post(f"/finance/periods/{label}/validate/")
    refused = client_as(first).post(f"/finance/periods/{label}/close/", follow=True)
    assert "did not validate" in refused.content.decode()
    assert AccountingPeriod.objects.get(month=last_month()).status == "validated"

    client_as(second).post(f"/finance/periods/{label}/close/")
    assert AccountingPeriod.objects.get(month=last_month()).status == "closed"


def test_a_manager_reads_the_periods_page_but_cannot_close(db):
    manager = factories.ManagerFactory()
    assert client_as(manager).get("/finance/periods/").status_code == 200
    label = f"{last_month():%Y-%m}"
    response = client_as(manager).post(f"/finance/periods/{label}/validate/", follow=True)
    assert "Only finance may do this" in response.content.decode()
    assert not AccountingPeriod.objects.exists()


def test_a_publisher_cannot_open_the_books_pages(db):
    user = factories.PublisherUserFactory()
    for path in ("/finance/periods/", "/finance/tax-forms/"):
        assert client_as(user).get(path).status_code in (302, 403, 404)


def test_finance_reviews_a_tax_form_on_the_page(db):
    publisher = factories.PublisherFactory(name="Form Filer")
    form = tax_form_upload(
        publisher_id=publisher.id,
        kind="w9",
        signed_on=date(2025, 1, 15),
        document=SimpleUploadedFile("w9.pdf", b"%PDF-1.4\n"),
        uploaded_by=factories.PublisherUserFactory(publisher=publisher),
    )
    finance = client_as(factories.FinanceUserFactory())
    page = finance.get("/finance/tax-forms/").content.decode()
    assert "Form Filer" in page and "W-9" in page
    document = finance.get(f"/finance/tax-forms/{form.id}/document/")
    assert b"".join(document.streaming_content) == b"%PDF-1.4\n"

    finance.post(f"/finance/tax-forms/{form.id}/reject/", {"note": "not signed"})
    form.refresh_from_db()
    assert (form.status, form.review_note) == (TaxForm.Status.REJECTED, "not signed")


def test_the_batch_page_shows_who_was_held_and_why(settings):
    settings.PAYOUT_HOLD_DAYS = 0
    finance = factories.FinanceUserFactory()
    paid = factories.PublisherFactory(minimum_payout=Decimal("1"))
    unverified = factories.PublisherFactory(
        name="Unconfirmed Media", minimum_payout=Decimal("1"), payout_details_changed_at=None
    )
    entry_write(publisher=paid, amount="30.00", at=days_ago(1))
    entry_write(publisher=unverified, amount="42.00", at=days_ago(1))
    batch = payout_batch_build(currency="USD", built_by=finance)

    page = client_as(finance).get(f"/finance/batches/{batch.id}/").content.decode()
    assert "Unconfirmed Media" in page
    assert "payout details never confirmed by a second person" in page
