"""A sale amount above the limit (the goal's max_sale_amount, else MAX_SALE_AMOUNT) holds the
conversion `amount_above_limit` for a manager, whatever dialect brought it; no money moves."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import override_settings

from offers.models import Goal
from payouts.models import LedgerEntry
from tests.tracking.conversions.conftest import SECRET, drain
from tracking.models import Conversion


def _s2s(web, world, amount):
    params = {"click_id": world.click.click_id, "amount": amount, "token": SECRET}
    return web.get("/postback", params)


def _tune(web, world, amount):
    params = {"transaction_id": world.click.click_id, "amount": amount, "security_token": SECRET}
    return web.get("/aff_lsr", params)


def _everflow(web, world, amount):
    params = {
        "transaction_id": world.click.click_id,
        "amount": amount,
        "verification_token": SECRET,
    }
    return web.post(settings.CALLBACK_EVERFLOW_PATH, params)


@pytest.mark.parametrize("send", [_s2s, _tune, _everflow], ids=["s2s", "tune", "everflow"])
@override_settings(MAX_SALE_AMOUNT=Decimal("10000"))
def test_an_amount_above_the_network_limit_is_held_in_every_dialect(world, web, send):
    assert send(web, world, "10000.01").status_code == 200
    drain()
    conversion = Conversion.objects.get()
    assert (conversion.status, conversion.reject_reason) == ("pending", "amount_above_limit")
    check = next(item for item in conversion.explanation if item["check"] == "amount_limit")
    assert check == {
        "check": "amount_limit",
        "ok": False,
        "detail": "sale amount 10000.01, max 10000",
    }
    assert not LedgerEntry.objects.exists()


@override_settings(MAX_SALE_AMOUNT=Decimal("10000"))
def test_an_amount_at_the_limit_is_approved(world, web):
    _s2s(web, world, "10000")
    drain()
    assert Conversion.objects.get().status == "approved"
    assert LedgerEntry.objects.count() == 1


@override_settings(MAX_SALE_AMOUNT=Decimal("10000"))
def test_the_goal_s_own_limit_overrides_the_network_s(world, web):
    Goal.objects.filter(id=world.goal.id).update(max_sale_amount=Decimal("50"))
    _s2s(web, world, "60")
    second = world.new_click()
    web.get("/postback", {"click_id": second.click_id, "amount": "40", "token": SECRET})
    drain()
    held = Conversion.objects.get(click_id=world.click.click_id)
    assert (held.status, held.reject_reason) == ("pending", "amount_above_limit")
    assert Conversion.objects.get(click_id=second.click_id).status == "approved"

    # A goal may also raise its limit above the network's.
    Goal.objects.filter(id=world.goal.id).update(max_sale_amount=Decimal("50000"))
    third = world.new_click()
    web.get("/postback", {"click_id": third.click_id, "amount": "20000", "token": SECRET})
    drain()
    assert Conversion.objects.get(click_id=third.click_id).status == "approved"


def test_a_callback_without_an_amount_is_not_held_for_it(world, web):
    web.get("/postback", {"click_id": world.click.click_id, "token": SECRET})
    drain()
    assert (Conversion.objects.get().status, Conversion.objects.get().reject_reason) == (
        "approved",
        "",
    )
