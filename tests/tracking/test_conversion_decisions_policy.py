"""Who decides a conversion, through the real API with API keys (accounts/policy.py decides).

Advertisers approve only their own conversions held for their approval, reject or reverse their
own with a reason, and never adjust; network holds and rejections are the managers', with a
reason; a manual adjustment keeps payout at or below revenue; a manual approval past a full cap
is refused unless a manager overrides it, and the override is recorded.
"""

from decimal import Decimal

import pytest

from payouts.models import LedgerEntry
from tests import factories
from tests.conftest import client_for
from tracking.models import Conversion

NETWORK_HOLDS = [
    "advertiser_pending",
    "pixel",
    "amount_above_limit",
    "cap_reached",
    "payout_not_set",
]
NETWORK_REJECTIONS = ["bot_click", "cap_reached", "window_expired", "advertiser_rejected"]


@pytest.fixture
def advertiser(db):
    return factories.AdvertiserFactory()


@pytest.fixture
def goal(advertiser):
    return factories.TermsFactory(goal__offer__advertiser=advertiser).goal


@pytest.fixture
def advertiser_api(advertiser):
    return client_for(factories.AdvertiserUserFactory(advertiser=advertiser))


@pytest.fixture
def manager_api(db):
    return client_for(factories.ManagerFactory())


def conversion_of(goal, **kwargs) -> Conversion:
    return factories.ConversionFactory(goal=goal, **kwargs)


def url(conversion: Conversion, action: str) -> str:
    return f"/api/v1/conversions/{conversion.id}/{action}/"


def nothing_moved(conversion: Conversion, *, status: str, payout: str = "7.00") -> None:
    fresh = Conversion.objects.get(pk=conversion.pk)
    assert (fresh.status, fresh.payout) == (status, Decimal(payout))
    assert not LedgerEntry.objects.filter(conversion=conversion).exists()
    assert not fresh.history.exists()


def test_an_advertiser_cannot_adjust_the_publishers_payout_and_nothing_is_booked(
    goal, advertiser_api
):
    conversion = conversion_of(goal, status="approved")
    response = advertiser_api.post(
        url(conversion, "adjust"), {"payout": "500000", "revenue": "0"}, format="json"
    )
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "forbidden"
    nothing_moved(conversion, status="approved")
    assert Conversion.objects.get(pk=conversion.pk).revenue == Decimal("10.00")


@pytest.mark.parametrize("reason", NETWORK_REJECTIONS)
def test_an_advertiser_cannot_approve_a_conversion_the_network_rejected(
    goal, advertiser_api, reason
):
    conversion = conversion_of(goal, status="rejected", reject_reason=reason)
    response = advertiser_api.post(url(conversion, "approve"), {"reason": "ok"}, format="json")
    assert response.status_code == 403, response.content
    nothing_moved(conversion, status="rejected")


@pytest.mark.parametrize("hold", NETWORK_HOLDS)
def test_an_advertiser_cannot_approve_a_conversion_the_network_holds(goal, advertiser_api, hold):
    conversion = conversion_of(goal, status="pending", reject_reason=hold)
    response = advertiser_api.post(url(conversion, "approve"), {"reason": "ok"}, format="json")
    assert response.status_code == 403, response.content
    assert "advertiser's approval" in response.json()["error"]["message"]
    nothing_moved(conversion, status="pending")


def test_an_advertiser_approves_its_own_conversion_held_for_its_approval(goal, advertiser_api):
    conversion = conversion_of(goal, status="pending", reject_reason="advertiser_approval")
    response = advertiser_api.post(url(conversion, "approve"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert "payout" not in response.json()
    [entry] = LedgerEntry.objects.filter(conversion=conversion)
    assert (entry.kind, entry.amount) == ("earning", Decimal("7.00"))


def test_an_advertiser_cannot_touch_another_advertisers_conversion(goal, db):
    conversion = conversion_of(goal, status="pending", reject_reason="advertiser_approval")
    stranger = client_for(factories.AdvertiserUserFactory())
    assert stranger.post(url(conversion, "approve")).status_code == 404
    assert stranger.post(url(conversion, "reject"), {"reason": "x"}).status_code == 404
    nothing_moved(conversion, status="pending")


@pytest.mark.parametrize(("status", "action"), [("pending", "reject"), ("approved", "reverse")])
def test_an_advertiser_rejects_or_reverses_its_own_only_with_a_reason(
    goal, advertiser_api, status, action
):
    conversion = conversion_of(goal, status=status, reject_reason="")
    response = advertiser_api.post(url(conversion, action), {"reason": "  "}, format="json")
    assert response.status_code in (400, 403), response.content
    nothing_moved(conversion, status=status)
    response = advertiser_api.post(url(conversion, action), {"reason": "chargeback"})
    assert response.status_code == 200, response.content
    assert Conversion.objects.get(pk=conversion.pk).status != status


@pytest.mark.parametrize(
    ("status", "reason"),
    [("rejected", "bot_click"), ("rejected", "window_expired"), ("pending", "cap_reached")]
    + [("pending", hold) for hold in ("pixel", "amount_above_limit", "payout_not_set")],
)
def test_a_manager_overrides_a_network_hold_or_rejection_only_with_a_reason(
    goal, manager_api, status, reason
):
    conversion = conversion_of(goal, status=status, reject_reason=reason)
    response = manager_api.post(url(conversion, "approve"))
    assert response.status_code == 403, response.content
    assert "reason" in response.json()["error"]["message"]
    nothing_moved(conversion, status=status)
    body = {"reason": "checked the order by hand", "override_caps": True}
    response = manager_api.post(url(conversion, "approve"), body, format="json")
    assert response.status_code == 200, response.content
    history = response.json()["history"]
    assert history[-1]["reason"].startswith("checked the order by hand")


def test_a_manager_approves_a_conversion_held_for_the_advertiser_without_a_reason(
    goal, manager_api
):
    conversion = conversion_of(goal, status="pending", reject_reason="advertiser_approval")
    assert manager_api.post(url(conversion, "approve")).status_code == 200


@pytest.mark.parametrize("role", ["publisher", "finance"])
def test_publishers_and_finance_decide_nothing(goal, role):
    conversion = conversion_of(goal, status="pending", reject_reason="advertiser_approval")
    user = (
        factories.PublisherUserFactory(publisher=conversion.publisher)
        if role == "publisher"
        else factories.FinanceUserFactory()
    )
    api = client_for(user)
    for action, body in [
        ("approve", {"reason": "x"}),
        ("reject", {"reason": "x"}),
        ("adjust", {"payout": "9"}),
    ]:
        assert api.post(url(conversion, action), body).status_code == 403
    nothing_moved(conversion, status="pending")


def test_a_manual_adjustment_keeps_payout_at_or_below_revenue(goal, manager_api):
    conversion = conversion_of(goal, status="approved")
    response = manager_api.post(url(conversion, "adjust"), {"payout": "10.01"}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "payout_above_revenue"
    response = manager_api.post(
        url(conversion, "adjust"), {"payout": "9", "revenue": "8"}, format="json"
    )
    assert response.status_code == 400
    nothing_moved(conversion, status="approved")

    response = manager_api.post(url(conversion, "adjust"), {"payout": "10.00"}, format="json")
    assert response.status_code == 200, response.content
    [entry] = LedgerEntry.objects.filter(conversion=conversion)
    assert (entry.kind, entry.amount) == ("adjustment", Decimal("3.00"))


def test_a_manual_adjustment_may_exceed_revenue_when_the_offer_allows_it(goal, manager_api):
    goal.offer.allow_payout_above_revenue = True
    goal.offer.save()
    conversion = conversion_of(goal, status="approved")
    response = manager_api.post(url(conversion, "adjust"), {"payout": "12"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["payout"] == "12.000000"


def test_approving_past_a_full_cap_is_refused_unless_a_manager_overrides_it(goal, manager_api):
    factories.CapFactory(offer=goal.offer, period="total", metric="conversions", limit=1)
    conversion_of(goal, status="approved")  # fills the cap
    held = conversion_of(goal, status="pending", reject_reason="cap_reached")
    body = {"reason": "the advertiser agreed to one more"}
    response = manager_api.post(url(held, "approve"), body, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "cap_reached"
    nothing_moved(held, status="pending")

    response = manager_api.post(url(held, "approve"), {**body, "override_caps": True}, "json")
    assert response.status_code == 200, response.content
    held.refresh_from_db()
    assert held.status == "approved"
    [history] = held.history.all()
    assert "cap overridden by" in history.reason
    assert any(step["check"] == "cap_override" for step in held.explanation)


def test_approving_within_a_cap_needs_no_override(goal, manager_api):
    factories.CapFactory(offer=goal.offer, period="total", metric="conversions", limit=5)
    rejected = conversion_of(goal, status="rejected", reject_reason="bot_click")
    response = manager_api.post(url(rejected, "approve"), {"reason": "not a bot"}, format="json")
    assert response.status_code == 200, response.content
    assert "cap overridden" not in Conversion.objects.get(pk=rejected.pk).history.get().reason


def test_an_advertiser_cannot_override_a_cap(goal, advertiser_api):
    factories.CapFactory(offer=goal.offer, period="total", metric="conversions", limit=1)
    conversion_of(goal, status="approved")
    held = conversion_of(goal, status="pending", reject_reason="cap_reached")
    body = {"reason": "x", "override_caps": True}
    assert advertiser_api.post(url(held, "approve"), body, format="json").status_code == 403
    nothing_moved(held, status="pending")


def test_a_publisher_filtering_conversions_by_advertiser_is_refused(goal):
    conversion = conversion_of(goal, status="approved")
    api = client_for(factories.PublisherUserFactory(publisher=conversion.publisher))
    response = api.get("/api/v1/conversions/", {"advertiser": conversion.advertiser_id})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "not_filterable"
    assert list(error["fields"]) == ["advertiser"]
    assert api.get("/api/v1/conversions/").status_code == 200
