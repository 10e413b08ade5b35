"""A publisher is told before its tax form expires: TAX_FORM_EXPIRY_NOTICE_DAYS before the
accepted form's last valid day (network calendar), once per form, its own users only, and not
when a renewal lasting longer is already accepted. The daily beat runs it; 0 turns it off."""

from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Notification
from accounts.notifications import KINDS
from payouts.models import TaxForm
from payouts.services.payees import tax_form_expiry_notices_send, tax_form_review, tax_form_upload
from payouts.tasks import tax_form_expiry_notices_send as daily_task
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = date(2027, 6, 1)


@pytest.fixture(autouse=True)
def _notice_days(settings):
    settings.TAX_FORM_EXPIRY_NOTICE_DAYS = 30


def accepted(publisher, finance2, *, valid_until, kind="w8ben"):
    form = tax_form_upload(
        publisher_id=publisher.id,
        kind=kind,
        signed_on=date(2025, 1, 15),
        document=SimpleUploadedFile("form.pdf", b"%PDF-1.4\n"),
        uploaded_by=factories.FinanceUserFactory(),
    )
    form = tax_form_review(form_id=form.id, accept=True, note="", reviewed_by=finance2)
    TaxForm.objects.filter(id=form.id).update(valid_until=valid_until)
    return form


def notices():
    return Notification.objects.filter(kind="tax_form_expiring")


def test_the_publisher_s_users_are_told_once_within_the_notice_days(finance2):
    publisher = factories.PublisherFactory()
    users = {factories.PublisherUserFactory(publisher=publisher).id for _ in range(2)}
    stranger = factories.PublisherUserFactory()
    form = accepted(publisher, finance2, valid_until=TODAY + timedelta(days=30))

    assert tax_form_expiry_notices_send(today=TODAY - timedelta(days=1)) == 0  # 31 days out
    assert tax_form_expiry_notices_send(today=TODAY) == 1
    assert {n.user_id for n in notices()} == users
    assert stranger.id not in {n.user_id for n in notices()}
    assert "2027-07-01" in notices()[0].text and notices()[0].url == f"/api/v1/tax-forms/{form.id}/"

    # The next days' runs stay quiet: one notice per form.
    assert tax_form_expiry_notices_send(today=TODAY + timedelta(days=1)) == 0
    assert notices().count() == 2


def test_no_notice_once_a_longer_renewal_is_accepted_or_for_a_form_without_expiry(finance2):
    renewed = factories.PublisherFactory()
    factories.PublisherUserFactory(publisher=renewed)
    accepted(renewed, finance2, valid_until=TODAY + timedelta(days=5))
    accepted(renewed, finance2, valid_until=TODAY + timedelta(days=900))
    lasting = factories.PublisherFactory()
    factories.PublisherUserFactory(publisher=lasting)
    accepted(lasting, finance2, valid_until=None, kind="w9")
    expired = factories.PublisherFactory()
    factories.PublisherUserFactory(publisher=expired)
    accepted(expired, finance2, valid_until=TODAY - timedelta(days=1))

    assert tax_form_expiry_notices_send(today=TODAY) == 0
    assert not notices().exists()


def test_zero_days_turns_the_notice_off(settings, finance2):
    settings.TAX_FORM_EXPIRY_NOTICE_DAYS = 0
    publisher = factories.PublisherFactory()
    factories.PublisherUserFactory(publisher=publisher)
    accepted(publisher, finance2, valid_until=TODAY + timedelta(days=1))
    assert tax_form_expiry_notices_send(today=TODAY) == 0


def test_the_beat_runs_it_daily_on_the_payouts_queue():
    entry = django_settings.CELERY_BEAT_SCHEDULE["payouts-tax-form-expiry-notices"]
    assert entry["task"] == daily_task.name == "payouts.tasks.tax_form_expiry_notices_send"
    assert entry["options"]["queue"] == "payouts"
    assert "tax_form_expiring" in KINDS
