"""Each web process rebuilds at most CLICK_LINK_REBUILDS_PER_SECOND stale link snapshots a
second; past it the stale copy is served, without a query, until a later second has budget
again. A link never cached is always built: there is nothing else to serve."""

import pytest

from offers.models import Offer
from tests import factories
from tracking.clicks import resolve
from tracking.clicks.resolve import link_resolve

pytestmark = pytest.mark.django_db


def _now(monkeypatch, monotonic: float, wall: float) -> None:
    monkeypatch.setattr(resolve, "_clock", lambda: (monotonic, wall))


def _offer_active(link) -> bool:
    snapshot = link_resolve(key=f"c:{link.code}")
    assert snapshot is not None
    return snapshot.offer_active


def test_past_the_budget_the_stale_copy_is_served_until_the_next_second(
    settings, monkeypatch, django_assert_num_queries
):
    settings.CLICK_LINK_REBUILDS_PER_SECOND = 1
    first, second, third = (factories.TrackingLinkFactory() for _ in range(3))
    wall = resolve._clock()[1]
    _now(monkeypatch, 1000.0, wall)
    assert _offer_active(first) and _offer_active(second)  # two first builds in one second
    Offer.objects.filter(id__in=[first.offer_id, second.offer_id, third.offer_id]).update(
        status=Offer.Status.PAUSED
    )

    # Both copies stale, in process and in Redis, in a new second with a budget of one.
    stale_wall = wall + settings.CLICK_LINK_CACHE_SECONDS + 1
    _now(monkeypatch, 1002.0, stale_wall)
    assert not _offer_active(first)  # rebuilt: the pause is seen
    with django_assert_num_queries(0):
        assert _offer_active(second)  # over the budget: the stale copy, no PostgreSQL
    assert not _offer_active(third)  # never cached: built, budget or not

    # The next second has budget again: the stale copy is rebuilt.
    _now(monkeypatch, 1003.1, stale_wall)
    assert not _offer_active(second)


def test_within_the_budget_every_stale_snapshot_is_rebuilt(settings, monkeypatch):
    settings.CLICK_LINK_REBUILDS_PER_SECOND = 3
    links = [factories.TrackingLinkFactory() for _ in range(3)]
    wall = resolve._clock()[1]
    _now(monkeypatch, 2000.0, wall)
    assert all(_offer_active(link) for link in links)
    Offer.objects.filter(id__in=[link.offer_id for link in links]).update(
        status=Offer.Status.PAUSED
    )
    _now(monkeypatch, 2002.0, wall + settings.CLICK_LINK_CACHE_SECONDS + 1)
    assert not any(_offer_active(link) for link in links)
