"""A pending conversion says why it waits (Conversion.HoldReason in reject_reason): network
holds before the advertiser's, so an advertiser can release only what its own goal held."""

from decimal import Decimal

from django.test import override_settings

from offers.models import Goal
from payouts.models import LedgerEntry
from tests.tracking.conversions.conftest import SECRET, drain
from tracking.models import Conversion


def _held(web, world, **params) -> str:
    click = world.new_click()
    response = web.get("/postback", {"click_id": click.click_id, "token": SECRET, **params})
    assert response.status_code == 200, response.content
    drain()
    conversion = Conversion.objects.get(click_id=click.click_id)
    assert conversion.status == "pending"
    assert not LedgerEntry.objects.filter(conversion=conversion).exists()
    return conversion.reject_reason


def test_a_manual_goal_holds_for_the_advertiser_s_approval(world, web):
    Goal.objects.filter(id=world.goal.id).update(approval=Goal.Approval.MANUAL)
    assert _held(web, world) == "advertiser_approval"
    assert _held(web, world, status="pending") == "advertiser_approval"


def test_an_advertiser_saying_pending_holds_advertiser_pending(world, web):
    assert _held(web, world, status="pending") == "advertiser_pending"


@override_settings(MAX_SALE_AMOUNT=Decimal("100"))
def test_a_network_hold_comes_before_the_advertiser_s(world, web):
    Goal.objects.filter(id=world.goal.id).update(approval=Goal.Approval.MANUAL)
    assert _held(web, world, amount="500") == "amount_above_limit"
    conversion = Conversion.objects.get()
    checks = {item["check"] for item in conversion.explanation}
    assert {"amount_limit", "approval"} <= checks


def test_the_codes_are_named_in_one_place():
    assert set(Conversion.HoldReason.values) == {
        "advertiser_approval",
        "advertiser_pending",
        "pixel",
        "amount_above_limit",
        "cap_reached",
        "payout_not_set",
        "fraud_review",
        "fx_rate_missing",
    }
