"""Issue 14's polish, in a real headless chromium, on the pages the tax form, invoice and bulk
decision work touched: each fits a 390 px wide phone without scrolling sideways, starts with the
skip link to the content, marks its header item as the current one, and gives every table
column header its scope."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.services.invoices import invoice_drafts_build, invoice_issue
from billing.services.receivables import invoice_payment_record
from payouts.services.payees import tax_form_review, tax_form_upload
from tests import factories
from tests.billing.conftest import JUNE, close_month, conversion, june
from tests.payouts.conftest import entry_write
from tests.portal.browser import PHONE, page_new, phone_problems, sign_in
from tests.portal.conftest import PASSWORD, network_build
from tests.portal.test_manager_review_queue import _held


@pytest.fixture
def net(transactional_db, settings, live_server):
    settings.TRACKING_BASE_URL = live_server.url
    settings.TAX_FORM_REQUIRED = True  # the publisher's pages show why payouts wait
    network = network_build()
    # The publisher: an earning, a rejected form and a pending one with a long file name.
    entry_write(publisher=network.publisher, amount="12.50")
    for name in ("w8ben.pdf", "scan_of_the_signed_W-8BEN-E_form_for_the_2025_tax_year_final.pdf"):
        form = tax_form_upload(
            publisher_id=network.publisher.id,
            kind="w8ben_e",
            signed_on=date(2025, 3, 1),
            document=SimpleUploadedFile(name, b"%PDF-1.4\n"),
            uploaded_by=network.publisher_user,
        )
    tax_form_review(
        form_id=form.id - 1,
        accept=False,
        note="The signature is missing on page 1; sign and upload the whole form again.",
        reviewed_by=network.finance,
    )
    # The advertiser: a June invoice, partly paid.
    conversion(goal=network.goal, revenue="30.00", at=june(3))
    close_month(JUNE)
    (draft,) = invoice_drafts_build(
        advertiser_id=network.advertiser.id, period_start=JUNE, built_by=network.finance
    )
    invoice = invoice_issue(invoice_id=draft.id, issued_by=network.finance)
    invoice_payment_record(
        invoice_id=invoice.id,
        amount=Decimal("10.00"),
        received_on=date(2025, 7, 10),
        reference="wire 42",
        recorded_by=network.finance,
    )
    network.invoice = invoice
    # The manager: a conversion held for review and an access request.
    _held(network, "203.0.113.9", advertiser_txn_id="ORDER-1001")
    factories.OfferAccessFactory(publisher=network.publisher, offer=network.approval_offer)
    return network


def _pages_problems(page, paths: list[str]) -> dict[str, list[str]]:
    page.set_viewport_size(PHONE)
    problems = {}
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        found = phone_problems(page)
        if found:
            problems[path] = found
    return problems


def test_the_touched_pages_fit_a_phone_with_skip_link_current_item_and_header_scopes(
    browser, live_server, net
):
    invoice = net.invoice.id
    roles = [
        (
            "blue",
            [
                "/publisher/",
                "/publisher/payouts/",
                "/publisher/earnings/",
                "/publisher/payouts/tax-forms/",
            ],
        ),
        ("acme", ["/advertiser/invoices/", f"/advertiser/invoices/{invoice}/"]),
        ("fiona", ["/finance/invoices/", f"/finance/invoices/{invoice}/", "/finance/tax-forms/"]),
        ("maria", ["/network/conversions/", "/network/review-queue/", "/network/access-requests/"]),
    ]
    problems = {}
    for username, paths in roles:
        page = page_new(browser, live_server.url)
        page.set_default_timeout(90_000)  # a shared 2-core machine under load: pages still come
        sign_in(page, username, PASSWORD)
        problems.update(_pages_problems(page, paths))
        if username == "blue":
            # A refused upload, its message beside the field, fits too.
            page.set_input_files(
                "#id_document",
                {"name": "form.pdf", "mimeType": "application/pdf", "buffer": b"MZ not a pdf"},
            )
            page.select_option("#id_kind", "w9")
            page.fill("#id_signed_on", "2025-03-01")
            page.click("#tax-form-upload button[type=submit]")
            assert "A PDF, PNG or JPEG file." in page.inner_text("#document-errors")
            found = phone_problems(page)
            if found:
                problems["/publisher/payouts/tax-forms/ (refused upload)"] = found
        page.context.close()
    assert not problems, "\n".join(f"{path}: {found}" for path, found in problems.items())
