"""The attribution window and the min/max click-to-conversion times run from the click to the
callback's arrival (its inbox row's received_at), not to when a worker got to it."""

from datetime import UTC, datetime, timedelta

from ulid import ULID

from offers.models import Offer
from tests import factories
from tests.tracking.conversions.conftest import SECRET, drain
from tracking.models import CallbackInbox, Conversion


def _click_at(world, at: datetime):
    return factories.ClickFactory(
        click_id=str(ULID.from_datetime(at)),
        offer_id=world.offer.id,
        publisher_id=world.publisher.id,
    )


def _arrived(web, click, after: timedelta) -> int:
    """A callback for `click` that arrived `after` the click (its row waited in the inbox)."""
    response = web.get("/postback", {"click_id": click.click_id, "token": SECRET})
    assert response.status_code == 200, response.content
    inbox_id = response.json()["id"]
    CallbackInbox.objects.filter(id=inbox_id).update(received_at=click.created_at + after)
    return inbox_id


def test_a_callback_that_arrived_inside_the_window_converts_though_processed_after_it(world, web):
    Offer.objects.filter(id=world.offer.id).update(attribution_window_seconds=3600)
    click = _click_at(world, datetime.now(UTC) - timedelta(hours=2))
    inbox_id = _arrived(web, click, timedelta(minutes=50))
    drain()
    assert CallbackInbox.objects.get(id=inbox_id).result == "approved"
    window = next(
        item for item in Conversion.objects.get().explanation if item["check"] == "window"
    )
    assert window == {"check": "window", "ok": True, "detail": "3000s of 3600s"}


def test_a_callback_that_arrived_after_the_window_is_still_window_expired(world, web):
    Offer.objects.filter(id=world.offer.id).update(attribution_window_seconds=3600)
    click = _click_at(world, datetime.now(UTC) - timedelta(hours=3))
    inbox_id = _arrived(web, click, timedelta(minutes=70))
    drain()
    assert CallbackInbox.objects.get(id=inbox_id).result == "window_expired"


def test_min_and_max_times_are_measured_to_the_arrival_too(world, web):
    Offer.objects.filter(id=world.offer.id).update(
        min_click_to_conversion_seconds=60, max_click_to_conversion_seconds=600
    )
    # Arrived 10 s after its click: too fast, however long it waited for a worker.
    fast = _arrived(web, _click_at(world, datetime.now(UTC) - timedelta(hours=1)), timedelta(0, 10))
    # Arrived 5 minutes after its click: in range, though processed an hour later.
    fine = _arrived(
        web, _click_at(world, datetime.now(UTC) - timedelta(hours=1)), timedelta(minutes=5)
    )
    drain()
    assert CallbackInbox.objects.get(id=fast).result == "too_fast"
    assert CallbackInbox.objects.get(id=fine).result == "approved"
