"""Refused callbacks are deleted after CALLBACK_REFUSED_KEEP_DAYS, in batches, by a scheduled
task; callbacks that made a conversion, and those still waiting, are kept whatever their age."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from tests.tracking.conversions.conftest import SECRET, drain
from tracking.callbacks.retention import callback_inbox_refused_purge
from tracking.models import CallbackInbox, Conversion

pytestmark = pytest.mark.django_db


def _row(*, state: str, result: str = "", days_old: int) -> CallbackInbox:
    row = CallbackInbox.objects.create(
        method="GET", path="/postback", click_id="X", state=state, result=result
    )
    CallbackInbox.objects.filter(pk=row.pk).update(
        received_at=timezone.now() - timedelta(days=days_old)
    )
    return row


def test_only_refused_rows_older_than_the_retention_are_deleted(world, web, settings):
    settings.CALLBACK_REFUSED_KEEP_DAYS = 30
    answer = web.get(
        "/postback", {"click_id": world.click.click_id, "txn_id": "R1", "token": SECRET}
    )
    assert answer.status_code == 200
    drain()
    converted = CallbackInbox.objects.get(pk=answer.json()["id"])
    assert Conversion.objects.filter(inbox=converted).exists()
    CallbackInbox.objects.filter(pk=converted.pk).update(
        received_at=timezone.now() - timedelta(days=400)
    )
    old_refused_at_door = _row(state="rejected_auth", result="bad_token", days_old=31)
    old_refused_by_attribution = _row(state="processed", result="unknown_click", days_old=45)
    old_waiting = _row(state="received", days_old=90)
    recent_refused = _row(state="rejected_auth", result="bad_token", days_old=29)
    recent_unknown = _row(state="processed", result="unknown_click", days_old=1)

    assert callback_inbox_refused_purge(batch=1) == 2

    kept = set(CallbackInbox.objects.values_list("pk", flat=True))
    assert kept == {converted.pk, old_waiting.pk, recent_refused.pk, recent_unknown.pk}
    assert old_refused_at_door.pk not in kept and old_refused_by_attribution.pk not in kept
    assert Conversion.objects.filter(inbox=converted).exists()


def test_the_retention_follows_its_setting(settings):
    settings.CALLBACK_REFUSED_KEEP_DAYS = 7
    _row(state="rejected_auth", result="bad_token", days_old=8)
    kept = _row(state="rejected_auth", result="bad_token", days_old=6)
    assert callback_inbox_refused_purge() == 1
    assert list(CallbackInbox.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_purge_is_scheduled():
    entry = settings.CELERY_BEAT_SCHEDULE["callback-inbox-refused-purge"]
    assert entry["task"] == "tracking.tasks.retention.callback_inbox_refused_purge"
    from tracking.tasks.retention import callback_inbox_refused_purge as task

    assert task.name == entry["task"]
