"""Revenue-cut requests (offers/revenue_cut_services.py): the offer's advertiser asks to lower
what it pays on a live offer, a manager approves (applied to conversions attributed afterwards
only) or rejects with a reason; every other caller is refused and nothing changes."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Notification
from core.errors import DomainError
from offers.models import Offer, RevenueCutRequest, Terms
from offers.revenue_cut_services import (
    revenue_cut_approve,
    revenue_cut_reject,
    revenue_cut_request,
    revenue_cut_withdraw,
)
from offers.services import terms_update
from tests import factories
from tests.tracking.conversions.conftest import SECRET, World, drain, world_build
from tracking.models import Conversion

pytestmark = pytest.mark.django_db

CUT = {"revenue_kind": "cpa_flat", "revenue_amount": Decimal("8.00")}


@pytest.fixture
def world() -> World:
    # cpa_flat: revenue 10.00, payout 7.00 USD per conversion.
    return world_build()


@pytest.fixture
def advertiser_user(world):
    return factories.AdvertiserUserFactory(advertiser=world.advertiser)


@pytest.fixture
def manager():
    return factories.ManagerFactory()


def _convert(world: World, txn_id: str) -> Conversion:
    click = world.new_click()
    params = {"click_id": click.click_id, "token": SECRET, "txn_id": txn_id}
    response = Client().get("/postback", params)
    assert response.status_code == 200, response.content
    drain()
    return Conversion.objects.get(inbox_id=response.json()["id"])


def _revenue(world: World) -> tuple:
    terms = Terms.objects.get(goal=world.goal)
    return terms.revenue_kind, terms.revenue_amount, terms.revenue_percent


def _asked(world: World, advertiser_user, **fields) -> RevenueCutRequest:
    return revenue_cut_request(
        goal=world.goal,
        fields={**CUT, **fields},
        reason="margins fell",
        requested_by=advertiser_user,
    )


def test_an_approved_cut_applies_to_conversions_attributed_after_it_and_not_before(
    world, advertiser_user, manager
):
    before = _convert(world, "T-before")
    cut = _asked(world, advertiser_user)
    while_pending = _convert(world, "T-pending")
    assert (cut.was_revenue_amount, cut.revenue_amount) == (Decimal("10.00"), Decimal("8.00"))

    approved = revenue_cut_approve(request_id=cut.id, approved_by=manager)
    after = _convert(world, "T-after")

    assert (approved.state, approved.decided_by_id) == ("approved", manager.id)
    assert _revenue(world) == ("cpa_flat", Decimal("8.00"), Decimal("0"))
    # 10.00 flat before and while pending, 8.00 flat after; the payout (7.00) is untouched.
    before.refresh_from_db()
    while_pending.refresh_from_db()
    assert (before.revenue, while_pending.revenue, after.revenue) == (
        Decimal("10.00"),
        Decimal("10.00"),
        Decimal("8.00"),
    )
    assert {before.payout, while_pending.payout, after.payout} == {Decimal("7.00")}
    told = Notification.objects.get(user=advertiser_user, kind="revenue_cut_decided")
    assert "cpa_flat 8 USD was approved" in told.text


def test_managers_are_told_of_a_request_with_its_figures(world, advertiser_user, manager):
    cut = _asked(world, advertiser_user)
    told = Notification.objects.get(user=manager, kind="revenue_cut_asked")
    assert "from cpa_flat 10 USD to cpa_flat 8 USD" in told.text
    assert told.url == f"/network/revenue-cuts/#cut-{cut.id}"


@pytest.mark.parametrize("who", ["advertiser", "publisher", "finance", "other_advertiser"])
def test_only_a_manager_approves_a_cut(world, advertiser_user, who):
    users = {
        "advertiser": advertiser_user,
        "publisher": factories.PublisherUserFactory(publisher=world.publisher),
        "finance": factories.FinanceUserFactory(),
        "other_advertiser": factories.AdvertiserUserFactory(),
    }
    cut = _asked(world, advertiser_user)
    with pytest.raises(DomainError) as refused:
        revenue_cut_approve(request_id=cut.id, approved_by=users[who])
    assert getattr(refused.value, "status_code", None) == 403
    with pytest.raises(DomainError) as refused:
        revenue_cut_reject(request_id=cut.id, rejected_by=users[who], reason="no")
    assert getattr(refused.value, "status_code", None) == 403
    assert RevenueCutRequest.objects.get(id=cut.id).state == "pending"
    assert _revenue(world) == ("cpa_flat", Decimal("10.00"), Decimal("0"))


def test_only_the_offers_advertiser_asks_for_a_cut(world):
    for user in (
        factories.AdvertiserUserFactory(),
        factories.PublisherUserFactory(publisher=world.publisher),
        factories.ManagerFactory(),
        factories.FinanceUserFactory(),
    ):
        with pytest.raises(DomainError) as refused:
            _asked(world, user)
        assert getattr(refused.value, "status_code", None) == 403
    assert not RevenueCutRequest.objects.exists()
    assert not Notification.objects.filter(kind="revenue_cut_asked").exists()


def test_a_request_whose_terms_changed_since_is_stale_and_refused(world, advertiser_user, manager):
    cut = _asked(world, advertiser_user)
    terms_update(
        terms=Terms.objects.get(goal=world.goal),
        fields={"revenue_amount": Decimal("9.00")},
        actor=manager,
    )
    with pytest.raises(DomainError) as refused:
        revenue_cut_approve(request_id=cut.id, approved_by=manager)
    assert (refused.value.code, refused.value.status_code) == ("stale_request", 409)
    assert _revenue(world) == ("cpa_flat", Decimal("9.00"), Decimal("0"))
    assert RevenueCutRequest.objects.get(id=cut.id).state == "pending"


def test_approving_again_changes_nothing(world, advertiser_user, manager):
    cut = _asked(world, advertiser_user)
    revenue_cut_approve(request_id=cut.id, approved_by=manager)
    # The advertiser then raises it again itself (allowed): a repeat approval must not cut it.
    terms_update(
        terms=Terms.objects.get(goal=world.goal),
        fields={"revenue_amount": Decimal("10.00")},
        actor=advertiser_user,
    )
    with pytest.raises(DomainError) as refused:
        revenue_cut_approve(request_id=cut.id, approved_by=factories.ManagerFactory())
    assert (refused.value.code, refused.value.status_code) == ("not_pending", 409)
    assert _revenue(world) == ("cpa_flat", Decimal("10.00"), Decimal("0"))
    assert RevenueCutRequest.objects.get(id=cut.id).decided_by_id == manager.id


def test_a_rejection_needs_a_reason_and_keeps_the_terms(world, advertiser_user, manager):
    cut = _asked(world, advertiser_user)
    with pytest.raises(DomainError) as refused:
        revenue_cut_reject(request_id=cut.id, rejected_by=manager, reason="   ")
    assert refused.value.fields == {"rejection_reason": ["Give a reason."]}
    assert RevenueCutRequest.objects.get(id=cut.id).state == "pending"

    rejected = revenue_cut_reject(request_id=cut.id, rejected_by=manager, reason="Agreed rate")
    assert (rejected.state, rejected.rejection_reason) == ("rejected", "Agreed rate")
    assert _revenue(world) == ("cpa_flat", Decimal("10.00"), Decimal("0"))
    told = Notification.objects.get(user=advertiser_user, kind="revenue_cut_decided")
    assert "rejected: Agreed rate" in told.text


def test_a_newer_request_withdraws_the_pending_one(world, advertiser_user):
    first = _asked(world, advertiser_user)
    second = _asked(world, advertiser_user, revenue_amount=Decimal("9.00"))
    first.refresh_from_db()
    assert (first.state, second.state) == ("withdrawn", "pending")
    assert RevenueCutRequest.objects.filter(goal=world.goal, state="pending").count() == 1


def test_the_advertiser_withdraws_its_request_and_no_one_else_does(world, advertiser_user, manager):
    cut = _asked(world, advertiser_user)
    for user in (factories.AdvertiserUserFactory(), manager):
        with pytest.raises(DomainError) as refused:
            revenue_cut_withdraw(request_id=cut.id, withdrawn_by=user)
        assert getattr(refused.value, "status_code", None) == 403
    withdrawn = revenue_cut_withdraw(request_id=cut.id, withdrawn_by=advertiser_user)
    assert withdrawn.state == "withdrawn"
    with pytest.raises(DomainError) as refused:
        revenue_cut_approve(request_id=cut.id, approved_by=manager)
    assert refused.value.code == "not_pending"
    assert _revenue(world) == ("cpa_flat", Decimal("10.00"), Decimal("0"))


def test_a_raise_or_a_paused_offer_is_not_a_request(world, advertiser_user):
    with pytest.raises(DomainError) as refused:
        _asked(world, advertiser_user, revenue_amount=Decimal("12.00"))
    assert refused.value.code == "not_a_cut"
    Offer.objects.filter(pk=world.offer.pk).update(status=Offer.Status.PAUSED)
    world.goal.offer.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        _asked(world, advertiser_user)
    assert refused.value.code == "not_a_cut"
    assert not RevenueCutRequest.objects.exists()


def test_a_cut_below_the_payout_is_refused_without_naming_it(world, advertiser_user):
    with pytest.raises(DomainError) as refused:
        _asked(world, advertiser_user, revenue_amount=Decimal("5.00"))
    assert "7" not in str(refused.value.fields)
    assert not RevenueCutRequest.objects.exists()
