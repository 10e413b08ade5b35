"""Payee checks: a batch pays a publisher only when its payout details were confirmed by a second
person and, where the network requires it, finance accepted a tax form of its; every publisher
held out is listed on the batch with why (the API and the finance page show it)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from affiliates.payout_details import payout_details_change_confirm, payout_details_change_request
from core.errors import DomainError, ForbiddenError
from payouts.services import payout_batch_build
from payouts.services.payees import tax_form_review, tax_form_upload
from tests import factories
from tests.conftest import client_for
from tests.payouts.conftest import days_ago, entry_write

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% W-9\n"


@pytest.fixture(autouse=True)
def _no_hold(settings):
    settings.PAYOUT_HOLD_DAYS = 0
    settings.PAYOUT_DETAILS_COOLDOWN_HOURS = 72


def owed(publisher, amount: str = "80.00") -> None:
    entry_write(publisher=publisher, amount=amount, at=days_ago(1))


def held_of(batch) -> dict[int, dict]:
    return {row["publisher"]: row for row in batch.held}


def upload(publisher, by, kind: str = "w9"):
    return tax_form_upload(
        publisher_id=publisher.id,
        kind=kind,
        signed_on=date(2025, 1, 15),
        document=SimpleUploadedFile("my w9.pdf", PDF),
        uploaded_by=by,
    )


def test_an_unverified_payee_is_held_out_of_a_batch_with_its_reason(finance):
    paid = factories.PublisherFactory(name="Verified", minimum_payout=Decimal("1"))
    unverified = factories.PublisherFactory(
        name="Never confirmed", minimum_payout=Decimal("1"), payout_details_changed_at=None
    )
    owed(paid)
    owed(unverified, "55.00")

    batch = payout_batch_build(currency="USD", built_by=finance)

    assert [line.publisher_id for line in batch.lines.all()] == [paid.id]
    assert held_of(batch)[unverified.id] == {
        "publisher": unverified.id,
        "name": "Never confirmed",
        "amount": "55.00",
        "reason": "payout_details_unverified",
        "reasons": ["payout_details_unverified"],
    }


def test_a_payee_is_paid_once_a_second_person_confirmed_its_details(finance, finance2, settings):
    settings.PAYOUT_DETAILS_COOLDOWN_HOURS = 0
    publisher = factories.PublisherFactory(
        minimum_payout=Decimal("1"), payout_details_changed_at=None
    )
    owed(publisher)
    change = payout_details_change_request(
        publisher=publisher,
        payout_method="wise",
        payout_details={"email": "me@pub.example"},
        requested_by=factories.PublisherUserFactory(publisher=publisher),
    )
    payout_details_change_confirm(change_id=change.id, confirmed_by=finance2)

    batch = payout_batch_build(currency="USD", built_by=finance)
    assert [line.publisher_id for line in batch.lines.all()] == [publisher.id]
    assert batch.held == []


def test_a_payee_without_a_required_tax_form_is_held(settings, finance, finance2):
    settings.TAX_FORM_REQUIRED = True
    missing = factories.PublisherFactory(minimum_payout=Decimal("1"))
    pending = factories.PublisherFactory(minimum_payout=Decimal("1"))
    rejected = factories.PublisherFactory(minimum_payout=Decimal("1"))
    accepted = factories.PublisherFactory(minimum_payout=Decimal("1"))
    for publisher in (missing, pending, rejected, accepted):
        owed(publisher)
    upload(pending, factories.PublisherUserFactory(publisher=pending))
    form = upload(rejected, factories.PublisherUserFactory(publisher=rejected))
    tax_form_review(form_id=form.id, accept=False, note="unsigned", reviewed_by=finance2)
    form = upload(accepted, factories.PublisherUserFactory(publisher=accepted))
    tax_form_review(form_id=form.id, accept=True, note="", reviewed_by=finance2)

    batch = payout_batch_build(currency="USD", built_by=finance)

    assert [line.publisher_id for line in batch.lines.all()] == [accepted.id]
    assert {pid: row["reason"] for pid, row in held_of(batch).items()} == {
        missing.id: "tax_form_missing",
        pending.id: "tax_form_pending",
        rejected.id: "tax_form_rejected",
    }


def test_without_the_tax_form_requirement_no_form_is_needed(settings, finance):
    settings.TAX_FORM_REQUIRED = False
    publisher = factories.PublisherFactory(minimum_payout=Decimal("1"))
    owed(publisher)
    assert payout_batch_build(currency="USD", built_by=finance).line_count == 1


def test_every_reason_a_payee_is_held_is_listed(settings, finance):
    settings.TAX_FORM_REQUIRED = True
    publisher = factories.PublisherFactory(
        minimum_payout=Decimal("1"), status="banned", payout_details_changed_at=None
    )
    paid = factories.PublisherFactory(minimum_payout=Decimal("1"))
    form = upload(paid, finance)
    tax_form_review(
        form_id=form.id, accept=True, note="", reviewed_by=factories.FinanceUserFactory()
    )
    owed(publisher)
    owed(paid)
    batch = payout_batch_build(currency="USD", built_by=finance)
    held = held_of(batch)[publisher.id]
    assert held["reason"] == "publisher_banned"
    assert held["reasons"] == ["publisher_banned", "payout_details_unverified", "tax_form_missing"]


def test_the_uploader_of_a_tax_form_cannot_review_it(finance):
    publisher = factories.PublisherFactory()
    form = upload(publisher, finance)
    with pytest.raises(ForbiddenError):
        tax_form_review(form_id=form.id, accept=True, note="", reviewed_by=finance)
    form.refresh_from_db()
    assert form.status == "pending"


def test_a_rejection_says_why(finance2):
    publisher = factories.PublisherFactory()
    form = upload(publisher, factories.PublisherUserFactory(publisher=publisher))
    with pytest.raises(DomainError) as refused:
        tax_form_review(form_id=form.id, accept=False, note=" ", reviewed_by=finance2)
    assert refused.value.code == "reason_required"


def test_a_publisher_uploads_its_own_tax_form_through_the_api_and_finance_reviews_it(finance2):
    publisher = factories.PublisherFactory()
    other = factories.PublisherFactory()
    user = factories.PublisherUserFactory(publisher=publisher)
    api = client_for(user)

    response = api.post(
        "/api/v1/tax-forms/",
        {
            "kind": "w8ben",
            "signed_on": "2025-02-01",
            "publisher": other.id,  # ignored: a publisher uploads its own
            "document": SimpleUploadedFile("form.pdf", PDF),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["publisher"], body["kind"], body["status"], body["file_name"]) == (
        publisher.id,
        "w8ben",
        "pending",
        "form.pdf",
    )
    assert api.post(f"/api/v1/tax-forms/{body['id']}/accept/").status_code == 403

    finance_api = client_for(finance2)
    document = finance_api.get(f"/api/v1/tax-forms/{body['id']}/document/")
    assert document.status_code == 200
    assert b"".join(document.streaming_content) == PDF
    accepted = finance_api.post(f"/api/v1/tax-forms/{body['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"

    listed = client_for(factories.PublisherUserFactory(publisher=other)).get("/api/v1/tax-forms/")
    assert listed.json()["results"] == []


def test_a_tax_form_that_is_not_a_document_is_refused():
    publisher = factories.PublisherFactory()
    api = client_for(factories.PublisherUserFactory(publisher=publisher))
    response = api.post(
        "/api/v1/tax-forms/",
        {
            "kind": "w9",
            "signed_on": "2025-02-01",
            "document": SimpleUploadedFile("form.pdf", b"<script>"),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["document"]
    assert not default_storage.exists(f"tax_forms/{publisher.id}")


def test_held_payees_per_batch_through_the_api(finance):
    paid = factories.PublisherFactory(minimum_payout=Decimal("1"))
    unverified = factories.PublisherFactory(
        name="Unconfirmed Media", minimum_payout=Decimal("1"), payout_details_changed_at=None
    )
    owed(paid)
    owed(unverified, "42.00")
    batch = payout_batch_build(currency="USD", built_by=finance)

    response = client_for(finance).get(f"/api/v1/payout-batches/{batch.id}/held/")
    assert response.status_code == 200
    assert [(row["publisher"], row["amount"], row["reason"]) for row in response.json()] == [
        (unverified.id, "42.00", "payout_details_unverified")
    ]
    assert (
        client_for(factories.ManagerFactory())
        .get(f"/api/v1/payout-batches/{batch.id}/held/")
        .status_code
        == 200
    )
    publisher_api = client_for(factories.PublisherUserFactory(publisher=paid))
    assert publisher_api.get(f"/api/v1/payout-batches/{batch.id}/held/").status_code == 403
    assert client_for(finance).get("/api/v1/payout-batches/999999/held/").status_code == 404
