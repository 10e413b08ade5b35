"""A callback can arrive before its click is in PostgreSQL: the click may still be in the Redis
buffer (found there), or not be anywhere yet (retried for a bounded time, then unknown_click)."""

from datetime import timedelta

from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from ulid import ULID

from tests import factories
from tests.tracking.conversions.conftest import SECRET, drain
from tracking.models import CallbackInbox, Click, Conversion


def test_a_callback_for_a_click_still_in_the_buffer_converts(world, web):
    link = factories.TrackingLinkFactory(offer=world.offer, publisher=world.publisher)
    redirect = web.get(
        f"/c/{link.code}?sub1=buffered",
        REMOTE_ADDR="198.51.100.23",
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
    )
    assert redirect.status_code == 302
    click_id = web.cookies[settings.CLICK_COOKIE_NAME].value
    assert not Click.objects.filter(click_id=click_id).exists()  # only in the stream

    response = web.get("/postback", {"click_id": click_id, "token": SECRET})
    assert response.status_code == 200
    assert not CallbackInbox.objects.get().auth_deferred  # the advertiser was found via the buffer
    drain()

    conversion = Conversion.objects.get()
    assert conversion.reject_reason == ""
    assert (conversion.status, conversion.click_id, conversion.sub1) == (
        "approved",
        click_id,
        "buffered",
    )


@override_settings(ATTRIBUTION_CLICK_WAIT_SECONDS=60)
def test_a_callback_waits_for_a_late_click_within_the_bound_then_converts(world, web):
    click_id = str(ULID())
    web.get("/postback", {"click_id": click_id, "token": SECRET})
    drain()
    row = CallbackInbox.objects.get()
    assert (row.state, row.attempts) == ("received", 1)
    assert row.retry_at > timezone.now()

    world.new_click(click_id=click_id)  # the ingester catches up
    CallbackInbox.objects.update(retry_at=timezone.now())  # its retry is due
    drain()

    row.refresh_from_db()
    assert (row.state, row.result) == ("processed", "approved")
    assert Conversion.objects.get().click_id == click_id


@override_settings(ATTRIBUTION_CLICK_WAIT_SECONDS=60)
def test_a_callback_whose_click_never_comes_is_unknown_click_after_the_bound(world, web):
    web.get("/postback", {"click_id": str(ULID()), "token": SECRET})
    drain()
    assert CallbackInbox.objects.get().state == "received"

    CallbackInbox.objects.update(
        received_at=timezone.now() - timedelta(seconds=61), retry_at=timezone.now()
    )
    drain()
    row = CallbackInbox.objects.get()
    assert (row.state, row.result) == ("processed", "unknown_click")
    assert not Conversion.objects.exists()
