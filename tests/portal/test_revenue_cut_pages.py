"""The revenue-cut queue in pages: the advertiser's "Ask the network" makes a request (shown
under its goal with a withdraw button); managers approve it (after a confirmation) or reject it
(with a reason) on /network/revenue-cuts/; every other role is refused and nothing changes."""

from decimal import Decimal

from accounts.models import Notification
from offers.models import RevenueCutRequest, Terms
from tests.portal.conftest import client_as

QUEUE = "/network/revenue-cuts/"


def _offer_url(net) -> str:
    return f"/advertiser/offers/{net.offer.pk}/"


def _ask(net, amount: str = "8.00", reason: str = "Our margin fell") -> RevenueCutRequest:
    goal = net.goal.pk
    response = client_as(net.advertiser_user).post(
        _offer_url(net),
        {
            "part": f"ask-{goal}",
            f"ask-{goal}-revenue_kind": "cpa_flat",
            f"ask-{goal}-revenue_amount": amount,
            f"ask-{goal}-revenue_percent": "",
            f"ask-{goal}-reason": reason,
        },
    )
    assert response.status_code == 302, response.content[:300]
    assert response["Location"] == f"{_offer_url(net)}#goal-{goal}"
    return RevenueCutRequest.objects.get(goal=net.goal, state="pending")


def _revenue(net) -> Decimal:
    return Terms.objects.get(goal=net.goal).revenue_amount


def test_asking_the_network_makes_a_request_shown_under_the_goal_with_a_withdraw_button(net):
    cut = _ask(net)
    assert (cut.revenue_amount, cut.was_revenue_amount, cut.reason) == (
        Decimal("8.00"),
        Decimal("10.00"),
        "Our margin fell",
    )
    assert _revenue(net) == Decimal("10.00")
    told = Notification.objects.get(user=net.manager, kind="revenue_cut_asked")
    assert told.url == f"{QUEUE}#cut-{cut.id}"

    page = client_as(net.advertiser_user).get(_offer_url(net)).content.decode()
    assert f'id="cut-{cut.id}"' in page
    assert "from cpa_flat 10 USD to cpa_flat 8 USD" in page
    assert "Withdraw the request" in page

    withdrawn = client_as(net.advertiser_user).post(
        _offer_url(net), {"part": f"withdraw-{net.goal.pk}", "cut": str(cut.id)}
    )
    assert withdrawn.status_code == 302
    assert RevenueCutRequest.objects.get(id=cut.id).state == "withdrawn"
    assert (
        "Withdraw the request"
        not in client_as(net.advertiser_user).get(_offer_url(net)).content.decode()
    )


def test_the_manager_sees_the_request_and_approves_it_after_a_confirmation(net):
    cut = _ask(net)
    manager = client_as(net.manager)
    page = manager.get(QUEUE)
    assert page.status_code == 200
    html = page.content.decode()
    for said in (net.offer.name, net.goal.name, "cpa_flat 10 USD", "cpa_flat 8 USD", "Our margin"):
        assert said in html, said
    assert net.advertiser_user.username in html
    assert 'href="/network/revenue-cuts/"' in html  # the header link

    unconfirmed = manager.post(f"{QUEUE}{cut.id}/approve/", {})
    assert unconfirmed.status_code == 400
    assert "Tick to confirm" in unconfirmed.content.decode()
    assert _revenue(net) == Decimal("10.00")

    approved = manager.post(f"{QUEUE}{cut.id}/approve/", {f"approve-{cut.id}-confirm": "on"})
    assert approved.status_code == 302 and approved["Location"] == f"{QUEUE}#decided"
    assert _revenue(net) == Decimal("8.00")
    assert RevenueCutRequest.objects.get(id=cut.id).state == "approved"

    again = manager.post(f"{QUEUE}{cut.id}/approve/", {f"approve-{cut.id}-confirm": "on"})
    assert again.status_code == 302
    assert _revenue(net) == Decimal("8.00")
    history = manager.get(QUEUE).content.decode()
    assert "Approved" in history and "No request is waiting." in history


def test_a_rejection_without_a_reason_is_shown_beside_the_field(net):
    cut = _ask(net)
    manager = client_as(net.manager)
    refused = manager.post(f"{QUEUE}{cut.id}/reject/", {f"reject-{cut.id}-rejection_reason": ""})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert f'id="reject-{cut.id}-rejection_reason-errors"' in html
    assert "Give a reason: the advertiser is told why." in html
    assert RevenueCutRequest.objects.get(id=cut.id).state == "pending"

    rejected = manager.post(
        f"{QUEUE}{cut.id}/reject/", {f"reject-{cut.id}-rejection_reason": "The rate is agreed"}
    )
    assert rejected.status_code == 302
    assert RevenueCutRequest.objects.get(id=cut.id).rejection_reason == "The rate is agreed"
    assert _revenue(net) == Decimal("10.00")
    told = Notification.objects.get(user=net.advertiser_user, kind="revenue_cut_decided")
    assert "The rate is agreed" in told.text


def test_a_stale_request_is_not_approved(net):
    cut = _ask(net)
    Terms.objects.filter(goal=net.goal).update(revenue_amount=Decimal("9.00"))
    manager = client_as(net.manager)
    assert "changed since it was asked" in manager.get(QUEUE).content.decode()
    response = manager.post(f"{QUEUE}{cut.id}/approve/", {f"approve-{cut.id}-confirm": "on"})
    assert response.status_code == 302 and response["Location"] == f"{QUEUE}#cut-{cut.id}"
    assert _revenue(net) == Decimal("9.00")
    assert RevenueCutRequest.objects.get(id=cut.id).state == "pending"


def test_other_roles_are_refused_the_queue_and_its_buttons(net):
    cut = _ask(net)
    for user in (net.advertiser_user, net.other_advertiser_user, net.publisher_user, net.finance):
        client = client_as(user)
        assert client.get(QUEUE).status_code == 403
        approve = client.post(f"{QUEUE}{cut.id}/approve/", {f"approve-{cut.id}-confirm": "on"})
        assert approve.status_code == 403
        reject = client.post(f"{QUEUE}{cut.id}/reject/", {f"reject-{cut.id}-rejection_reason": "x"})
        assert reject.status_code == 403
    assert RevenueCutRequest.objects.get(id=cut.id).state == "pending"
    assert _revenue(net) == Decimal("10.00")


def test_another_advertiser_cannot_withdraw_or_ask_on_the_offer(net):
    cut = _ask(net)
    other = client_as(net.other_advertiser_user)
    response = other.post(_offer_url(net), {"part": f"withdraw-{net.goal.pk}", "cut": str(cut.id)})
    assert response.status_code == 404
    assert RevenueCutRequest.objects.get(id=cut.id).state == "pending"
