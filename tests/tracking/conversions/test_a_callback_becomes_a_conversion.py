from decimal import Decimal

from payouts.models import LedgerEntry
from tests.tracking.conversions.conftest import SECRET, drain
from tracking.models import CallbackInbox, Conversion


def test_an_s2s_callback_is_accepted_then_attributed_with_its_ledger_earning(world, web):
    response = web.get(
        "/postback",
        {"click_id": world.click.click_id, "amount": "19.99", "txn_id": "T-1", "token": SECRET},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "accepted"
    inbox = CallbackInbox.objects.get(id=body["id"])
    assert inbox.state == "received"
    assert "token" not in inbox.params

    drain()

    inbox.refresh_from_db()
    assert (inbox.state, inbox.result) == ("processed", "approved")
    conversion = Conversion.objects.get(inbox=inbox)
    assert conversion.status == "approved"
    assert (conversion.revenue, conversion.payout) == (Decimal("10.00"), Decimal("7.00"))
    assert conversion.sub1 == "s1"
    assert conversion.terms["source"] == "goal"
    assert {item["check"] for item in conversion.explanation} >= {"window", "bot", "terms"}
    entry = LedgerEntry.objects.get(conversion=conversion)
    assert (entry.kind, entry.amount, entry.idempotency_key) == (
        "earning",
        Decimal("7.00"),
        f"conversion:{conversion.id}:earning",
    )


def test_running_attribution_twice_changes_nothing(world, web):
    web.post("/postback", {"click_id": world.click.click_id, "token": SECRET})
    drain()
    CallbackInbox.objects.update(state="received")  # as if the batch ran again
    drain()
    assert Conversion.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
