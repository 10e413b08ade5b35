"""The publisher's tax forms page (/publisher/payouts/tax-forms/): it uploads its own form
through the API's service, finance then sees it; it reads only its own forms and their
decision; a bad file or date is shown beside its field; other roles are refused; and its home,
balance and earnings pages say when payouts wait for a tax form."""

from datetime import date, timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from payouts.models import TaxForm
from payouts.services.payees import tax_form_review, tax_form_upload
from tests.portal.conftest import client_as

PAGE = "/publisher/payouts/tax-forms/"
PDF = b"%PDF-1.4\n% a signed W-8BEN\n"


def _pdf(name: str = "w8ben.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _upload(publisher, by, *, kind: str = "w8ben", signed_on: date = date(2025, 3, 1)):
    return tax_form_upload(
        publisher_id=publisher.id, kind=kind, signed_on=signed_on, document=_pdf(), uploaded_by=by
    )


def test_a_publisher_uploads_its_tax_form_on_the_page_and_finance_sees_it(net):
    publisher = client_as(net.publisher_user)
    response = publisher.post(
        PAGE, {"kind": "w8ben", "signed_on": "2025-03-01", "document": _pdf()}
    )
    assert response.status_code == 302 and response["Location"] == PAGE

    form = TaxForm.objects.get()
    assert (form.publisher_id, form.kind, form.signed_on, form.status) == (
        net.publisher.id,
        "w8ben",
        date(2025, 3, 1),
        "pending",
    )
    assert (form.uploaded_by_id, form.content_type) == (net.publisher_user.id, "application/pdf")
    page = publisher.get(PAGE).content.decode()
    assert f'id="tax-form-{form.id}"' in page and "Waiting for review" in page

    finance = client_as(net.finance)
    assert f'id="tax-form-{form.id}"' in finance.get("/finance/tax-forms/").content.decode()
    document = finance.get(f"/finance/tax-forms/{form.id}/document/")
    assert b"".join(document.streaming_content) == PDF


def test_a_publisher_reads_its_own_forms_and_finances_reason_but_never_another_publishers(net):
    own = _upload(net.publisher, net.publisher_user)
    tax_form_review(form_id=own.id, accept=False, note="Not signed", reviewed_by=net.finance)
    other = _upload(net.other_publisher, net.other_publisher_user)

    publisher = client_as(net.publisher_user)
    page = publisher.get(PAGE).content.decode()
    assert f'id="tax-form-{own.id}"' in page and "Rejected" in page and "Not signed" in page
    assert f'id="tax-form-{other.id}"' not in page

    mine = publisher.get(f"{PAGE}{own.id}/document/")
    assert mine.status_code == 200 and b"".join(mine.streaming_content) == PDF
    assert publisher.get(f"{PAGE}{other.id}/document/").status_code == 404
    assert publisher.get(f"{PAGE}999999/document/").status_code == 404


def test_a_file_that_is_not_a_document_is_shown_beside_its_field_and_nothing_is_stored(net):
    publisher = client_as(net.publisher_user)
    response = publisher.post(
        PAGE,
        {
            "kind": "w9",
            "signed_on": "2025-03-01",
            "document": _pdf("form.pdf", b"MZ\x90\x00 not a pdf"),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="document-errors"' in page and "A PDF, PNG or JPEG file." in page
    assert not TaxForm.objects.exists()
    assert not default_storage.exists(f"tax_forms/{net.publisher.id}")


def test_a_form_dated_in_the_future_or_too_large_is_refused_beside_its_field(net, settings):
    publisher = client_as(net.publisher_user)
    tomorrow = timezone.now().date() + timedelta(days=2)
    future = publisher.post(
        PAGE, {"kind": "w9", "signed_on": tomorrow.isoformat(), "document": _pdf()}
    ).content.decode()
    assert 'id="signed_on-errors"' in future and "in the future" in future

    settings.TAX_FORM_MAX_BYTES = 10
    large = publisher.post(
        PAGE, {"kind": "w9", "signed_on": "2025-03-01", "document": _pdf()}
    ).content.decode()
    assert 'id="document-errors"' in large and "At most 10 bytes" in large

    missing = publisher.post(PAGE, {"kind": "nope", "signed_on": "2025-03-01"}).content.decode()
    assert 'id="kind-errors"' in missing and 'id="document-errors"' in missing
    assert not TaxForm.objects.exists()


def test_advertisers_finance_and_managers_are_refused_the_publisher_page(net):
    form = _upload(net.publisher, net.publisher_user)
    for user in (net.advertiser_user, net.manager, net.finance):
        client = client_as(user)
        assert client.get(PAGE).status_code == 403
        refused = client.post(PAGE, {"kind": "w9", "signed_on": "2025-03-01", "document": _pdf()})
        assert refused.status_code == 403
        assert client.get(f"{PAGE}{form.id}/document/").status_code == 403
    assert TaxForm.objects.count() == 1


@pytest.mark.parametrize(
    "path", ["/publisher/", "/publisher/payouts/", "/publisher/earnings/", PAGE]
)
def test_the_publishers_pages_say_payouts_wait_for_a_missing_tax_form(net, settings, path):
    publisher = client_as(net.publisher_user)
    settings.TAX_FORM_REQUIRED = False
    assert 'id="tax-form-hold"' not in publisher.get(path).content.decode()

    settings.TAX_FORM_REQUIRED = True
    page = publisher.get(path).content.decode()
    assert 'id="tax-form-hold"' in page and 'data-reason="tax_form_missing"' in page


def test_the_banner_says_why_and_leaves_once_a_valid_form_is_accepted(net, settings):
    settings.TAX_FORM_REQUIRED = True
    publisher = client_as(net.publisher_user)

    def reason() -> str | None:
        page = publisher.get("/publisher/").content.decode()
        if 'id="tax-form-hold"' not in page:
            return None
        return page.split('data-reason="', 1)[1].split('"', 1)[0]

    old = _upload(net.publisher, net.publisher_user, signed_on=date(2020, 1, 10))
    assert reason() == "tax_form_pending"
    # Accepted long ago, it ran to the end of 2023 (a W-8BEN: the third year after signing).
    tax_form_review(form_id=old.id, accept=True, note="", reviewed_by=net.finance)
    TaxForm.objects.filter(id=old.id).update(valid_until=date(2023, 12, 31))
    assert reason() == "tax_form_expired"
    page = publisher.get(PAGE).content.decode()
    assert "Expired" in page and "2023-12-31" in page

    renewed = _upload(net.publisher, net.publisher_user, signed_on=timezone.now().date())
    assert reason() == "tax_form_pending"
    tax_form_review(form_id=renewed.id, accept=True, note="", reviewed_by=net.finance)
    assert reason() is None
