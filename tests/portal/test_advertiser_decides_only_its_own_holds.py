"""The advertiser's conversion page offers only what the money policy allows it, and shows the
explanation without what would reveal a publisher's payout."""

from payouts.models import LedgerEntry
from tests import factories
from tests.portal.conftest import client_as


def test_a_conversion_the_network_holds_offers_only_reject_and_approving_it_is_refused(net):
    conversion = factories.ConversionFactory(
        goal=net.goal, publisher=net.publisher, status="pending", reject_reason="cap_reached"
    )
    client = client_as(net.advertiser_user)
    page = client.get(f"/advertiser/conversions/{conversion.id}/").content.decode()
    assert 'value="approve"' not in page
    assert 'value="reject"' in page
    client.post(f"/advertiser/conversions/{conversion.id}/", {"action": "approve"})
    conversion.refresh_from_db()
    assert conversion.status == "pending"
    assert not LedgerEntry.objects.filter(conversion=conversion).exists()


def test_rejecting_without_a_reason_is_refused_on_the_page(net):
    conversion = factories.ConversionFactory(
        goal=net.goal,
        publisher=net.publisher,
        status="pending",
        reject_reason="advertiser_approval",
    )
    page = client_as(net.advertiser_user).post(
        f"/advertiser/conversions/{conversion.id}/", {"action": "reject", "reason": ""}
    )
    assert "Say why it is rejected." in page.content.decode()
    conversion.refresh_from_db()
    assert conversion.status == "pending"


def test_the_explanation_shows_no_override_or_payout_cap(net):
    conversion = factories.ConversionFactory(
        goal=net.goal,
        publisher=net.publisher,
        explanation=[
            {"check": "terms", "ok": True, "source": "goal_override", "override_id": 4321},
            {"check": "cap", "ok": False, "detail": "cap 77 (payout 987.5/day) full, action hold"},
            {"check": "window", "ok": True, "detail": "12 s after the click"},
        ],
    )
    page = client_as(net.advertiser_user).get(f"/advertiser/conversions/{conversion.id}/")
    text = page.content.decode()
    assert "12 s after the click" in text
    assert "4321" not in text and "goal_override" not in text and "987.5" not in text
