"""A goal whose terms have revenue but no payout is not runnable: its conversions are held
pending `payout_not_set` (a network hold: only a manager releases it, with a reason), unless the
publisher has an override in force that sets its payout."""

from decimal import Decimal

from offers.models import Terms
from payouts.models import LedgerEntry
from tests import factories
from tests.conftest import client_for
from tests.tracking.conversions.conftest import SECRET, drain
from tracking.models import Conversion


def _convert(web, world, txn_id: str) -> Conversion:
    params = {"click_id": world.click.click_id, "token": SECRET, "txn_id": txn_id}
    response = web.get("/postback", params)
    assert response.status_code == 200, response.content
    drain()
    return Conversion.objects.get(inbox_id=response.json()["id"])


def test_a_conversion_on_a_goal_without_a_payout_is_held_payout_not_set(world, web):
    Terms.objects.filter(goal=world.goal).update(payout_kind="", payout_amount=0)
    conversion = _convert(web, world, "T-1")
    assert (conversion.status, conversion.reject_reason) == ("pending", "payout_not_set")
    assert conversion.payout == 0 and conversion.revenue == Decimal("10.00")
    assert not LedgerEntry.objects.exists()
    assert {"check": "payout", "ok": False} in [
        {"check": step["check"], "ok": step["ok"]} for step in conversion.explanation
    ]

    advertiser = client_for(factories.AdvertiserUserFactory(advertiser=world.advertiser))
    url = f"/api/v1/conversions/{conversion.id}/approve/"
    assert advertiser.post(url, {"reason": "ok"}).status_code == 403
    manager = client_for(factories.ManagerFactory())
    assert manager.post(url).status_code == 403  # a network hold: a reason is required
    assert manager.post(url, {"reason": "payout agreed by phone"}).status_code == 200


def test_a_publishers_override_makes_the_goal_runnable_for_that_publisher(world, web):
    Terms.objects.filter(goal=world.goal).update(payout_kind="", payout_amount=0)
    factories.PublisherOverrideFactory(
        publisher=world.publisher, offer=world.offer, payout_amount=Decimal("6")
    )
    conversion = _convert(web, world, "T-2")
    assert (conversion.status, conversion.payout) == ("approved", Decimal("6.00"))
