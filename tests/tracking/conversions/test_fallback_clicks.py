"""A click sent to the fallback (country, device, paused, no access, cap) never reached the
offer: it does not convert unless the offer's `fallback_clicks_convert` says so."""

import pytest

from offers.models import Offer
from payouts.models import LedgerEntry
from tests.tracking.conversions.conftest import SECRET, drain
from tracking.models import CallbackInbox, Click, Conversion


@pytest.mark.parametrize("reason", ["country", "device", "not_allowed", "offer_inactive"])
def test_a_fallback_click_is_rejected_fallback_click(world, web, reason):
    click = world.new_click(fallback_reason=reason)
    web.get("/postback", {"click_id": click.click_id, "token": SECRET})
    drain()
    conversion = Conversion.objects.get()
    assert (conversion.status, conversion.reject_reason) == ("rejected", "fallback_click")
    assert CallbackInbox.objects.get().result == "fallback_click"
    check = next(item for item in conversion.explanation if item["check"] == "fallback")
    assert check == {"check": "fallback", "ok": False, "detail": reason}
    assert not LedgerEntry.objects.exists()


def test_a_fallback_click_converts_when_the_offer_allows_it(world, web):
    Offer.objects.filter(id=world.offer.id).update(fallback_clicks_convert=True)
    click = world.new_click(fallback_reason=Click.Reason.COUNTRY)
    web.get("/postback", {"click_id": click.click_id, "token": SECRET})
    drain()
    assert Conversion.objects.get().status == "approved"
    assert LedgerEntry.objects.count() == 1


def test_a_click_that_reached_the_offer_converts_as_before(world, web):
    web.get("/postback", {"click_id": world.click.click_id, "token": SECRET})
    drain()
    assert Conversion.objects.get().status == "approved"
