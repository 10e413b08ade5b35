"""/api/v1/revenue-cut-requests/: the offer's advertiser asks, a manager approves or rejects with
a reason, the advertiser withdraws; each role sees only its own requests, and unknown body keys
are refused."""

from decimal import Decimal

import pytest

from offers.models import RevenueCutRequest, Terms
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/revenue-cut-requests/"


@pytest.fixture
def terms():
    return factories.TermsFactory()  # cpa_flat: revenue 10.00, payout 7.00 USD, live offer


@pytest.fixture
def advertiser(terms):
    return client_for(factories.AdvertiserUserFactory(advertiser=terms.goal.offer.advertiser))


def _ask(advertiser, terms, **body):
    return advertiser.post(
        URL,
        {"goal": terms.goal_id, "revenue_kind": "cpa_flat", "revenue_amount": "8.00", **body},
        format="json",
    )


def test_the_advertiser_asks_and_a_manager_approves_for_new_conversions(advertiser, terms):
    asked = _ask(advertiser, terms, reason="margin")
    assert asked.status_code == 201, asked.json()
    body = asked.json()
    assert (body["state"], body["was_revenue_kind"], body["currency"]) == (
        "pending",
        "cpa_flat",
        "USD",
    )
    manager = client_for(factories.ManagerFactory())
    approved = manager.post(f"{URL}{body['id']}/approve/")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert Terms.objects.get(pk=terms.pk).revenue_amount == Decimal("8.00")
    assert manager.post(f"{URL}{body['id']}/approve/").status_code == 409


def test_a_rejection_needs_a_reason_and_unknown_keys_are_refused(advertiser, terms):
    cut_id = _ask(advertiser, terms).json()["id"]
    manager = client_for(factories.ManagerFactory())
    assert manager.post(f"{URL}{cut_id}/reject/", {}, format="json").status_code == 400
    forged = manager.post(
        f"{URL}{cut_id}/reject/", {"rejection_reason": "no", "state": "approved"}, format="json"
    )
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "not_writable"
    assert _ask(advertiser, terms, state="approved").status_code == 400
    rejected = manager.post(f"{URL}{cut_id}/reject/", {"rejection_reason": "no"}, format="json")
    assert rejected.status_code == 200 and rejected.json()["rejection_reason"] == "no"


def test_other_roles_neither_see_nor_decide_a_request(advertiser, terms):
    cut_id = _ask(advertiser, terms).json()["id"]
    for user in (
        factories.AdvertiserUserFactory(),
        factories.PublisherUserFactory(),
        factories.FinanceUserFactory(),
    ):
        client = client_for(user)
        assert client.get(URL).json()["results"] == []
        assert client.post(f"{URL}{cut_id}/approve/").status_code == 404
    assert advertiser.post(f"{URL}{cut_id}/approve/").status_code == 403
    assert RevenueCutRequest.objects.get(id=cut_id).state == "pending"
    assert advertiser.post(f"{URL}{cut_id}/withdraw/").json()["state"] == "withdrawn"
    assert Terms.objects.get(pk=terms.pk).revenue_amount == Decimal("10.00")


def test_another_advertisers_goal_is_not_asked_for(terms):
    other = client_for(factories.AdvertiserUserFactory())
    assert _ask(other, terms).status_code == 400  # the goal is not one it may name
    assert not RevenueCutRequest.objects.exists()
