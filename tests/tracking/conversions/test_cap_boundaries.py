"""A cap's boundary: the conversion that fills a cap exactly is approved and closes the
redirect; only the next one is over it. Pins `>` (would exceed) against `>=` (is full), which
swapped either way would still pass a test that only checks "one over the cap is refused"."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.cache import cache

from offers.models import Cap
from payouts.models import LedgerEntry
from tests import factories
from tests.tracking.conversions.conftest import SECRET, drain
from tracking.caps import (
    cap_flag_key,
    cap_flags_refresh,
    cap_is_reached,
    cap_period_start,
    cap_usage,
)
from tracking.models import Conversion


def _convert(web, world, capture) -> Conversion:
    click = world.new_click()
    response = web.get("/postback", {"click_id": click.click_id, "token": SECRET})
    assert response.status_code == 200, response.content
    with capture(execute=True):  # the cap flags are set after commit
        drain()
    return Conversion.objects.get(click_id=click.click_id)


def _cap(world, **fields) -> Cap:
    """A cap with no flag left over: Redis outlives the test database, whose ids start again
    at 1, so a flag of an earlier run's cap with the same id and limit may still be set."""
    cap = Cap.objects.create(offer=world.offer, **fields)
    period_start = cap_period_start(period=cap.period, now=datetime.now(UTC))
    cache.delete(cap_flag_key(cap_id=cap.pk, period_start=period_start, limit=cap.limit))
    cache.delete(f"cap:list:{world.offer.id}")  # tracking.caps.caps_for_redirect
    return cap


def _reached(world) -> bool:
    return cap_is_reached(
        offer_id=world.offer.id, publisher_id=world.publisher.id, now=datetime.now(UTC)
    )


def test_a_conversion_that_fills_a_payout_cap_exactly_is_approved_and_the_next_is_not(
    world, web, django_capture_on_commit_callbacks
):
    # Each conversion pays 7.00 (world_build): 7.00 + 7.00 is exactly the cap of 14.00.
    _cap(world, limit=Decimal("14.00"), metric="payout", action="reject")

    first = _convert(web, world, django_capture_on_commit_callbacks)
    assert first.status == "approved"
    assert not _reached(world)
    exactly = _convert(web, world, django_capture_on_commit_callbacks)
    assert (exactly.status, exactly.reject_reason) == ("approved", "")
    assert _reached(world), "a payout cap filled exactly must close the redirect"
    over = _convert(web, world, django_capture_on_commit_callbacks)
    assert (over.status, over.reject_reason) == ("rejected", "cap_reached")

    paid = LedgerEntry.objects.filter(kind="earning").values_list("amount", flat=True)
    assert sorted(paid) == [Decimal("7.00"), Decimal("7.00")]


def test_a_count_cap_of_two_approves_the_second_and_refuses_the_third(
    world, web, django_capture_on_commit_callbacks
):
    _cap(world, limit=2, action="reject")

    statuses = [_convert(web, world, django_capture_on_commit_callbacks).status for _ in range(3)]

    assert statuses == ["approved", "approved", "rejected"]
    assert LedgerEntry.objects.count() == 2


def test_a_payout_cap_one_cent_short_of_the_second_conversion_refuses_it(
    world, web, django_capture_on_commit_callbacks
):
    _cap(world, limit=Decimal("13.99"), metric="payout")

    first = _convert(web, world, django_capture_on_commit_callbacks)
    second = _convert(web, world, django_capture_on_commit_callbacks)

    assert first.status == "approved"
    assert (second.status, second.reject_reason) == ("rejected", "cap_reached")
    assert not _reached(world), "7.00 of 13.99 is not full"


def test_recounting_a_cap_filled_exactly_sets_its_flag(
    world, web, django_capture_on_commit_callbacks
):
    """The recount (after a manual change) judges "full" as the batch does: used >= limit."""
    cap = _cap(world, limit=Decimal("7.00"), metric="payout")
    assert _convert(web, world, django_capture_on_commit_callbacks).status == "approved"
    now = datetime.now(UTC)
    cache.delete(
        cap_flag_key(
            cap_id=cap.pk,
            period_start=cap_period_start(period=cap.period, now=now),
            limit=cap.limit,
        )
    )
    assert not _reached(world)

    cap_flags_refresh(offer_id=world.offer.id, publisher_id=world.publisher.id, now=now)

    assert _reached(world)


def test_a_conversion_at_the_first_instant_of_the_period_counts_against_the_cap(world):
    cap = _cap(world, limit=2, period="day")
    start = cap_period_start(period="day", now=datetime.now(UTC))
    conversion = factories.ConversionFactory(goal=world.goal, publisher=world.publisher)
    Conversion.objects.filter(pk=conversion.pk).update(created_at=start)
    before = factories.ConversionFactory(goal=world.goal, publisher=world.publisher)
    Conversion.objects.filter(pk=before.pk).update(created_at=start - timedelta(microseconds=1))

    assert cap_usage(cap=cap, period_start=start) == (1, Decimal("7.00"))


def test_a_rejected_conversion_does_not_use_up_a_cap_in_its_batch(world, web):
    """A bot's conversion (rejected) and a real one in the same batch: the cap of 1 is the
    real one's."""
    _cap(world, limit=1, action="reject")
    bot = world.new_click(is_bot=True)
    real = world.new_click()
    for click in (bot, real):
        response = web.get("/postback", {"click_id": click.click_id, "token": SECRET})
        assert response.status_code == 200, response.content

    drain()  # one batch: both rows at once

    assert Conversion.objects.get(click_id=bot.click_id).reject_reason == "bot_click"
    assert Conversion.objects.get(click_id=real.click_id).status == "approved"
