"""Each attribution check, failing, with the reason code it leaves on the inbox row (and on the
rejected conversion, when one is kept for the record)."""

from datetime import UTC, datetime, timedelta

from django.test import override_settings

from affiliates.models import Publisher
from offers.models import Cap, Goal, Offer
from payouts.models import LedgerEntry
from tests import factories
from tests.tracking.conversions.conftest import SECRET, drain
from tracking.models import CallbackInbox, Click, Conversion


def _send(web, world, **params):
    params = {"click_id": world.click.click_id, "token": SECRET, **params}
    response = web.get("/postback", params)
    assert response.status_code == 200, response.content
    return response.json()["id"]


def _result(inbox_id: int) -> str:
    return CallbackInbox.objects.get(id=inbox_id).result


def _rejected_for(web, world, reason: str, **params) -> Conversion:
    inbox_id = _send(web, world, **params)
    drain()
    assert _result(inbox_id) == reason
    conversion = Conversion.objects.get(inbox_id=inbox_id)
    assert (conversion.status, conversion.reject_reason) == ("rejected", reason)
    assert not LedgerEntry.objects.filter(conversion=conversion).exists()
    failed = [item["check"] for item in conversion.explanation if not item["ok"]]
    assert failed
    return conversion


def test_a_click_older_than_the_window_is_window_expired(world, web):
    Click.objects.filter(id=world.click.id).update(
        created_at=datetime.now(UTC) - timedelta(days=31)
    )
    _rejected_for(web, world, "window_expired")


def test_a_conversion_sooner_than_the_minimum_is_too_fast(world, web):
    Offer.objects.filter(id=world.offer.id).update(min_click_to_conversion_seconds=60)
    _rejected_for(web, world, "too_fast")


def test_a_conversion_later_than_the_maximum_is_too_slow(world, web):
    Offer.objects.filter(id=world.offer.id).update(max_click_to_conversion_seconds=10)
    Click.objects.filter(id=world.click.id).update(
        created_at=datetime.now(UTC) - timedelta(minutes=5)
    )
    _rejected_for(web, world, "too_slow")


def test_a_bot_click_is_bot_click(world, web):
    Click.objects.filter(id=world.click.id).update(is_bot=True)
    _rejected_for(web, world, "bot_click")


def test_a_paused_offer_is_offer_inactive(world, web):
    Offer.objects.filter(id=world.offer.id).update(status="paused")
    _rejected_for(web, world, "offer_inactive")


def test_a_suspended_publisher_is_publisher_inactive(world, web):
    Publisher.objects.filter(id=world.publisher.id).update(status="suspended")
    _rejected_for(web, world, "publisher_inactive")


def test_a_callback_saying_rejected_is_advertiser_rejected(world, web):
    _rejected_for(web, world, "advertiser_rejected", status="rejected")


def test_a_sale_in_another_currency_is_currency_mismatch(world, web):
    _rejected_for(web, world, "currency_mismatch", currency="EUR", amount="5")


def test_a_full_cap_with_action_reject_is_cap_reached(world, web):
    Cap.objects.create(offer=world.offer, limit=1, action="reject")
    _send(web, world, txn_id="A")
    second = world.new_click()
    inbox_id = web.get(
        "/postback", {"click_id": second.click_id, "token": SECRET, "txn_id": "B"}
    ).json()["id"]
    drain()
    assert _result(inbox_id) == "cap_reached"
    assert Conversion.objects.get(inbox_id=inbox_id).status == "rejected"


def test_a_full_cap_with_action_hold_keeps_the_conversion_pending(world, web):
    Cap.objects.create(offer=world.offer, limit=1, action="hold", publisher=world.publisher)
    _send(web, world)
    second = world.new_click()
    web.get("/postback", {"click_id": second.click_id, "token": SECRET})
    drain()
    held = Conversion.objects.get(click_id=second.click_id)
    assert (held.status, held.reject_reason) == ("pending", "cap_reached")
    assert not LedgerEntry.objects.filter(conversion=held).exists()


def test_a_payout_cap_counts_money_not_conversions(world, web):
    Cap.objects.create(offer=world.offer, limit=10, metric="payout")  # payout is 7.00 each
    _send(web, world)
    second = world.new_click()
    web.get("/postback", {"click_id": second.click_id, "token": SECRET})
    drain()
    assert Conversion.objects.get(click_id=second.click_id).reject_reason == "cap_reached"


def test_a_reused_advertiser_txn_id_is_duplicate_txn_and_makes_no_conversion(world, web):
    _send(web, world, txn_id="T-9", amount="10")
    other_click = world.new_click()
    again = web.get(
        "/postback",
        {"click_id": other_click.click_id, "token": SECRET, "txn_id": "T-9", "amount": "99"},
    ).json()["id"]
    drain()
    assert _result(again) == "duplicate_txn"
    assert Conversion.objects.count() == 1
    assert LedgerEntry.objects.count() == 1


def test_a_second_conversion_of_a_click_on_one_goal_is_duplicate_conversion(world, web):
    _send(web, world)
    again = _send(web, world)
    drain()
    assert _result(again) == "duplicate_conversion"
    assert Conversion.objects.count() == 1


def test_a_goal_that_allows_multiple_converts_a_click_more_than_once(world, web):
    Goal.objects.filter(id=world.goal.id).update(allow_multiple=True)
    _send(web, world, txn_id="1")
    _send(web, world, txn_id="2")
    drain()
    assert Conversion.objects.filter(status="approved").count() == 2


def test_a_goal_the_offer_does_not_have_is_unknown_goal(world, web):
    inbox_id = _send(web, world, goal="nope")
    drain()
    assert _result(inbox_id) == "unknown_goal"
    assert not Conversion.objects.exists()


def test_a_goal_named_by_ref_or_id_is_that_goal(world, web):
    lead = factories.GoalFactory(offer=world.offer, ref="lead", is_default=False)
    factories.TermsFactory(goal=lead, payout_amount=2)
    _send(web, world, goal="lead", txn_id="1")
    _send(web, world, goal=str(world.goal.id), txn_id="2")
    drain()
    assert sorted(Conversion.objects.values_list("goal__ref", flat=True)) == ["lead", "sale"]


def test_a_goal_needing_manual_approval_or_a_pending_callback_stays_pending(world, web):
    Goal.objects.filter(id=world.goal.id).update(approval="manual")
    _send(web, world)
    drain()
    assert Conversion.objects.get().status == "pending"
    assert not LedgerEntry.objects.exists()


@override_settings(ATTRIBUTION_CLICK_WAIT_SECONDS=0)
def test_a_click_never_seen_is_unknown_click(world, web):
    from ulid import ULID

    inbox_id = web.get("/postback", {"click_id": str(ULID()), "token": SECRET}).json()["id"]
    drain()
    assert _result(inbox_id) == "unknown_click"
    assert not Conversion.objects.exists()
