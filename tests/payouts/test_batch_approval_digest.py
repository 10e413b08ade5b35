"""An approval names the digest of the lines its approver saw: a line changed since voids it.
Scheduled batches (no builder) are approved by the policy like any other."""

from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from core.errors import DomainError, ForbiddenError
from payouts.models import PayoutBatch
from payouts.selectors import payout_batch_digest
from payouts.services import payout_batch_approve, payout_batch_build, payout_batch_rebuild
from payouts.tasks import scheduled_batch_build
from tests import factories
from tests.conftest import client_for
from tests.payouts.conftest import days_ago, entry_write

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_hold")]


@pytest.fixture
def no_hold():
    with override_settings(PAYOUT_HOLD_DAYS=0):
        yield


@pytest.fixture
def batch(finance, publisher):
    entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
    return payout_batch_build(currency="USD", built_by=finance)


def test_a_line_changed_since_review_voids_the_approval(batch, finance, finance2, publisher):
    reviewed = payout_batch_digest(batch_id=batch.id)
    entry_write(publisher=publisher, amount="5.00", at=days_ago(0.5))
    payout_batch_rebuild(batch_id=batch.id, rebuilt_by=finance)

    with pytest.raises(DomainError) as refused:
        payout_batch_approve(batch_id=batch.id, approved_by=finance2, digest=reviewed)

    assert (refused.value.code, refused.value.status_code) == ("batch_changed", 409)
    batch.refresh_from_db()
    assert (batch.status, batch.approved_by) == (PayoutBatch.Status.DRAFT, None)


def test_rebuilding_to_the_same_lines_keeps_the_digest(batch, finance, finance2):
    reviewed = payout_batch_digest(batch_id=batch.id)
    payout_batch_rebuild(batch_id=batch.id, rebuilt_by=finance)
    assert payout_batch_digest(batch_id=batch.id) == reviewed


def test_the_digest_covers_every_line_in_order(finance):
    publishers = factories.PublisherFactory.create_batch(2, minimum_payout=Decimal("1"))
    for publisher in publishers:
        entry_write(publisher=publisher, amount="10.00", at=days_ago(1))
    batch = payout_batch_build(currency="USD", built_by=finance)
    digest = payout_batch_digest(batch_id=batch.id)
    assert len(digest) == 64
    other_batch_digest = payout_batch_digest(batch_id=batch.id + 1)
    assert digest != other_batch_digest


def test_an_approval_without_a_digest_is_refused_over_the_api(batch, finance2):
    client = client_for(finance2)
    missing = client.post(f"/api/v1/payout-batches/{batch.id}/approve/", {}, format="json")
    assert (missing.status_code, missing.json()["error"]["fields"]) == (
        400,
        {"digest": ["Name the digest of the lines you reviewed (the batch's)."]},
    )
    wrong = client.post(
        f"/api/v1/payout-batches/{batch.id}/approve/", {"digest": "0" * 64}, format="json"
    )
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (409, "batch_changed")
    batch.refresh_from_db()
    assert batch.status == "draft"


def test_one_finance_user_approves_a_scheduled_batch_nobody_touched(publisher, finance):
    entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
    batch_id = scheduled_batch_build("USD", timezone.now().isoformat())
    digest = payout_batch_digest(batch_id=batch_id)
    approved = payout_batch_approve(batch_id=batch_id, approved_by=finance, digest=digest)
    assert (approved.approved_by, approved.approved_digest) == (finance, digest)


def test_a_manager_cannot_approve_even_with_the_digest(batch):
    with pytest.raises(ForbiddenError):
        payout_batch_approve(
            batch_id=batch.id,
            approved_by=factories.ManagerFactory(),
            digest=payout_batch_digest(batch_id=batch.id),
        )
