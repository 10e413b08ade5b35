"""The same rules through the API: an advertiser raises its revenue, a cut on a live offer is a
manager's (terms.revenue_set), the offer's currency is the network's, payout fields are refused."""

from decimal import Decimal

import pytest

from offers.models import Offer, Terms
from tests import factories
from tests.conftest import client_for


@pytest.fixture
def terms(db):
    return factories.TermsFactory(revenue_amount=Decimal("10.00"), payout_amount=Decimal("7.00"))


@pytest.fixture
def advertiser(terms):
    user = factories.AdvertiserUserFactory(advertiser=terms.goal.offer.advertiser)
    user.save()
    return client_for(user)


@pytest.fixture
def manager(db):
    user = factories.ManagerFactory(is_staff=True)
    user.save()
    return client_for(user)


def test_an_advertiser_raises_its_revenue_through_the_api(advertiser, terms):
    response = advertiser.patch(f"/api/v1/terms/{terms.pk}/", {"revenue_amount": "11.00"})
    assert response.status_code == 200, response.json()
    assert Terms.objects.get(pk=terms.pk).revenue_amount == Decimal("11.00")


def test_an_advertisers_cut_on_a_live_offer_is_a_403_and_a_managers_is_saved(
    advertiser, manager, terms
):
    response = advertiser.patch(f"/api/v1/terms/{terms.pk}/", {"revenue_amount": "9.00"})
    assert response.status_code == 403
    assert "a manager does that" in response.json()["error"]["message"]
    assert Terms.objects.get(pk=terms.pk).revenue_amount == Decimal("10.00")

    response = manager.patch(f"/api/v1/terms/{terms.pk}/", {"revenue_amount": "9.00"})
    assert response.status_code == 200
    assert Terms.objects.get(pk=terms.pk).revenue_amount == Decimal("9.00")


def test_an_advertiser_may_cut_revenue_of_a_paused_offer(advertiser, terms):
    Offer.objects.filter(pk=terms.goal.offer_id).update(status=Offer.Status.PAUSED)
    response = advertiser.patch(f"/api/v1/terms/{terms.pk}/", {"revenue_amount": "8.00"})
    assert response.status_code == 200
    assert Terms.objects.get(pk=terms.pk).revenue_amount == Decimal("8.00")


def test_payout_fields_in_an_advertisers_body_are_refused(advertiser, terms):
    response = advertiser.patch(
        f"/api/v1/terms/{terms.pk}/", {"revenue_amount": "12.00", "payout_amount": "11.00"}
    )
    assert response.status_code == 400
    assert Terms.objects.get(pk=terms.pk).payout_amount == Decimal("7.00")


def test_an_advertiser_cannot_change_its_offers_currency(advertiser, manager, terms):
    offer = terms.goal.offer
    response = advertiser.patch(f"/api/v1/offers/{offer.pk}/", {"currency": "EUR"})
    assert response.status_code == 400
    assert "currency" in response.json()["error"]["fields"]
    assert Offer.objects.get(pk=offer.pk).currency == "USD"

    assert advertiser.patch(f"/api/v1/offers/{offer.pk}/", {"name": "Renamed"}).status_code == 200
    assert manager.patch(f"/api/v1/offers/{offer.pk}/", {"currency": "EUR"}).status_code == 200


def test_another_advertisers_terms_are_not_found(terms):
    stranger = factories.AdvertiserUserFactory()
    stranger.save()
    response = client_for(stranger).patch(f"/api/v1/terms/{terms.pk}/", {"revenue_amount": "20"})
    assert response.status_code == 404
    assert Terms.objects.get(pk=terms.pk).revenue_amount == Decimal("10.00")
