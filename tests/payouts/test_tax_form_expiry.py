"""Tax form expiry: an accepted form counts until its last valid day, set once by the finance
user who accepts it (by default from its kind: a W-8BEN to the end of the third calendar year
after signing, a W-9 never). Past it, where TAX_FORM_REQUIRED is on, the publisher is held out of
batches with tax_form_expired until a renewed form is accepted. Nobody else sets or moves it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.errors import DomainError, ForbiddenError
from payouts.models import TaxForm
from payouts.services import payout_batch_build
from payouts.services.payees import (
    tax_form_default_valid_until,
    tax_form_review,
    tax_form_upload,
)
from tests import factories
from tests.conftest import client_for
from tests.payouts.conftest import days_ago, entry_write

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% W-8BEN\n"
SIGNED = date(2025, 1, 15)


@pytest.fixture(autouse=True)
def _required(settings):
    settings.PAYOUT_HOLD_DAYS = 0
    settings.TAX_FORM_REQUIRED = True


@pytest.fixture
def publisher():
    publisher = factories.PublisherFactory(minimum_payout=Decimal("1"))
    entry_write(publisher=publisher, amount="80.00", at=days_ago(1))
    return publisher


def upload(publisher, kind="w8ben", signed_on=SIGNED):
    return tax_form_upload(
        publisher_id=publisher.id,
        kind=kind,
        signed_on=signed_on,
        document=SimpleUploadedFile("form.pdf", PDF),
        uploaded_by=factories.PublisherUserFactory(publisher=publisher),
    )


def reasons(batch) -> dict[int, str]:
    return {row["publisher"]: row["reason"] for row in batch.held}


def test_a_w8ben_lasts_to_the_end_of_the_third_year_after_signing_and_a_w9_does_not_expire():
    assert tax_form_default_valid_until(kind="w8ben", signed_on=SIGNED) == date(2028, 12, 31)
    assert tax_form_default_valid_until(kind="w8ben_e", signed_on=date(2024, 12, 31)) == date(
        2027, 12, 31
    )
    for kind in ("w9", "vat", "other"):
        assert tax_form_default_valid_until(kind=kind, signed_on=SIGNED) is None


def test_accepting_sets_the_expiry_by_kind_or_as_finance_says(publisher, finance2):
    w8 = tax_form_review(form_id=upload(publisher).id, accept=True, note="", reviewed_by=finance2)
    assert w8.valid_until == date(2028, 12, 31)
    w9 = tax_form_review(
        form_id=upload(publisher, kind="w9").id, accept=True, note="", reviewed_by=finance2
    )
    assert w9.valid_until is None
    chosen = timezone.now().date() + timedelta(days=400)
    vat = tax_form_review(
        form_id=upload(publisher, kind="vat").id,
        accept=True,
        note="registration ends then",
        reviewed_by=finance2,
        valid_until=chosen,
    )
    assert vat.valid_until == chosen


def test_an_expired_form_holds_the_publisher_until_a_renewal_is_accepted(
    publisher, finance, finance2
):
    form = tax_form_review(form_id=upload(publisher).id, accept=True, note="", reviewed_by=finance2)
    today = timezone.now().date()
    # Its last valid day is today: still paid (the day counts whole).
    TaxForm.objects.filter(id=form.id).update(valid_until=today)
    paid = payout_batch_build(currency="USD", built_by=finance)
    assert [line.publisher_id for line in paid.lines.all()] == [publisher.id]

    # A batch is built only when someone is paid: another publisher with a W-9 (no expiry).
    other = factories.PublisherFactory(minimum_payout=Decimal("1"))
    tax_form_review(form_id=upload(other, kind="w9").id, accept=True, note="", reviewed_by=finance2)

    def owed():
        entry_write(publisher=other, amount="5.00", at=days_ago(1))

    entry_write(publisher=publisher, amount="20.00", at=days_ago(1))
    owed()
    TaxForm.objects.filter(id=form.id).update(valid_until=today - timedelta(days=1))
    held = payout_batch_build(currency="USD", built_by=finance)
    assert [line.publisher_id for line in held.lines.all()] == [other.id]
    assert reasons(held) == {publisher.id: "tax_form_expired"}
    page = client_for(finance).get(f"/api/v1/payout-batches/{held.id}/held/").json()
    assert page[0]["reason"] == "tax_form_expired" and page[0]["amount"] == "20.00"

    renewal = upload(publisher, signed_on=today)
    owed()
    assert reasons(payout_batch_build(currency="USD", built_by=finance)) == {
        publisher.id: "tax_form_pending"
    }
    tax_form_review(form_id=renewal.id, accept=True, note="", reviewed_by=finance2)
    renewed = payout_batch_build(currency="USD", built_by=finance)
    assert [line.amount for line in renewed.lines.filter(publisher=publisher)] == [Decimal("20.00")]
    assert renewed.held == []


def test_nobody_but_a_reviewer_sets_the_expiry_and_nobody_moves_it_afterwards(
    publisher, finance, finance2
):
    own = client_for(factories.PublisherUserFactory(publisher=publisher))
    smuggled = own.post(
        "/api/v1/tax-forms/",
        {
            "kind": "w8ben",
            "signed_on": "2025-01-15",
            "valid_until": "2099-12-31",
            "document": SimpleUploadedFile("f.pdf", PDF),
        },
        format="multipart",
    )
    assert smuggled.status_code == 400
    form = upload(publisher)
    far = {"valid_until": "2099-12-31"}
    url = f"/api/v1/tax-forms/{form.id}"
    assert own.post(f"{url}/accept/", far, format="json").status_code == 403
    manager = client_for(factories.ManagerFactory())
    assert manager.post(f"{url}/accept/", far, format="json").status_code == 403
    # Its uploader (here finance, uploading for the publisher) never reviews it.
    by_finance = tax_form_upload(
        publisher_id=publisher.id,
        kind="w8ben",
        signed_on=SIGNED,
        document=SimpleUploadedFile("f.pdf", PDF),
        uploaded_by=finance,
    )
    with pytest.raises(ForbiddenError):
        tax_form_review(
            form_id=by_finance.id,
            accept=True,
            note="",
            reviewed_by=finance,
            valid_until=date(2099, 12, 31),
        )
    reviewer = client_for(finance2)
    # A rejection has no expiry; an accepted form is not accepted again with a new date.
    assert reviewer.post(f"{url}/reject/", {"note": "x", **far}, format="json").status_code == 400
    past = reviewer.post(f"{url}/accept/", {"valid_until": "2020-01-01"}, format="json")
    assert past.status_code == 400 and past.json()["error"]["code"] == "in_past"
    accepted = reviewer.post(f"{url}/accept/", {"valid_until": "2027-06-30"}, format="json")
    assert accepted.status_code == 200 and accepted.json()["valid_until"] == "2027-06-30"
    again = reviewer.post(f"{url}/accept/", far, format="json")
    assert again.status_code == 409
    with pytest.raises(DomainError):
        tax_form_review(
            form_id=form.id, accept=True, note="", reviewed_by=finance, valid_until=None
        )
    assert TaxForm.objects.get(id=form.id).valid_until == date(2027, 6, 30)


def test_finance_sets_the_expiry_on_the_tax_forms_page(publisher, finance2):
    from django.test import Client

    from tests.conftest import signed_in

    form = upload(publisher, kind="w9")
    finance2.save()  # the factories set the password in memory only; sessions check it
    page = signed_in(Client(), finance2)
    page.post(f"/finance/tax-forms/{form.id}/accept/", {"valid_until": "2030-03-31"})
    assert TaxForm.objects.get(id=form.id).valid_until == date(2030, 3, 31)
    assert "2030-03-31" in page.get("/finance/tax-forms/").content.decode()
