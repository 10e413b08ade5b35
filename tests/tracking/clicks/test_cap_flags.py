from datetime import UTC, datetime

import pytest

from offers.models import Cap
from tests import factories
from tracking.caps import cap_is_reached, cap_period_start, cap_reached_set

pytestmark = pytest.mark.django_db

NOW = datetime(2031, 3, 13, 15, 30, tzinfo=UTC)  # a Thursday


@pytest.mark.parametrize(
    ("period", "start"),
    [
        ("day", datetime(2031, 3, 13, tzinfo=UTC)),
        ("week", datetime(2031, 3, 10, tzinfo=UTC)),  # Monday
        ("month", datetime(2031, 3, 1, tzinfo=UTC)),
        ("total", None),
    ],
)
def test_cap_periods_start_at_utc_midnight_monday_and_the_first(period, start):
    assert cap_period_start(period=period, now=NOW) == start


def test_a_flag_holds_for_its_period_only_and_for_the_right_publishers():
    offer = factories.OfferFactory()
    mine, other = factories.PublisherFactory(), factories.PublisherFactory()
    cap = factories.CapFactory(offer=offer, publisher=mine, period=Cap.Period.DAY)
    cap_reached_set(
        cap_id=cap.id, period_start=cap_period_start(period="day", now=NOW), reached=True
    )
    assert cap_is_reached(offer_id=offer.id, publisher_id=mine.id, now=NOW)
    assert not cap_is_reached(offer_id=offer.id, publisher_id=other.id, now=NOW)
    tomorrow = datetime(2031, 3, 14, 1, tzinfo=UTC)
    assert not cap_is_reached(offer_id=offer.id, publisher_id=mine.id, now=tomorrow)


def test_a_global_cap_holds_for_every_publisher_and_a_hold_cap_never_at_the_redirect():
    offer = factories.OfferFactory()
    publisher = factories.PublisherFactory()
    hold = factories.CapFactory(offer=offer, action=Cap.Action.HOLD, period=Cap.Period.TOTAL)
    cap_reached_set(cap_id=hold.id, period_start=None, reached=True)
    assert not cap_is_reached(offer_id=offer.id, publisher_id=publisher.id, now=NOW)
    from django.core.cache import cache

    cache.delete(f"cap:list:{offer.id}")  # the cap list is cached for a few seconds
    glob = factories.CapFactory(offer=offer, period=Cap.Period.MONTH)
    cap_reached_set(
        cap_id=glob.id, period_start=cap_period_start(period="month", now=NOW), reached=True
    )
    assert cap_is_reached(offer_id=offer.id, publisher_id=publisher.id, now=NOW)
