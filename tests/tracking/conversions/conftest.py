"""A small network to convert on: an advertiser with a postback secret, an offer with a default
goal and terms, an active publisher, and a click of theirs in PostgreSQL."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client

from affiliates.models import Publisher
from offers.models import Advertiser, Goal, Offer
from offers.services import advertiser_postback_secret_set
from tests import factories
from tracking.attribution.services import inbox_batch_attribute
from tracking.models import Click

SECRET = "adv-secret-for-tests"


@dataclass
class World:
    advertiser: Advertiser
    offer: Offer
    goal: Goal
    publisher: Publisher
    click: Click

    def new_click(self, **kwargs) -> Click:
        return factories.ClickFactory(
            offer_id=self.offer.id, publisher_id=self.publisher.id, **kwargs
        )


def world_build(
    *,
    revenue_kind: str = "cpa_flat",
    revenue_amount: str = "10.00",
    revenue_percent: str = "0",
    payout_kind: str = "cpa_flat",
    payout_amount: str = "7.00",
    payout_percent: str = "0",
    currency: str = "USD",
) -> World:
    advertiser = factories.AdvertiserFactory()
    advertiser_postback_secret_set(advertiser=advertiser, raw=SECRET)  # stored encrypted
    offer = factories.OfferFactory(advertiser=advertiser, currency=currency)
    goal = factories.GoalFactory(offer=offer, ref="sale")
    factories.TermsFactory(
        goal=goal,
        revenue_kind=revenue_kind,
        revenue_amount=Decimal(revenue_amount),
        revenue_percent=Decimal(revenue_percent),
        payout_kind=payout_kind,
        payout_amount=Decimal(payout_amount),
        payout_percent=Decimal(payout_percent),
    )
    publisher = factories.PublisherFactory()
    click = factories.ClickFactory(
        offer_id=offer.id, publisher_id=publisher.id, created_at=datetime.now(UTC), sub1="s1"
    )
    return World(advertiser=advertiser, offer=offer, goal=goal, publisher=publisher, click=click)


@pytest.fixture
def world(db) -> World:
    return world_build()


@pytest.fixture
def web() -> Client:
    return Client()


def drain() -> int:
    """Attribute everything due, in this thread (tests that need no worker)."""
    total = 0
    while True:
        outcome = inbox_batch_attribute(limit=1000)
        total += outcome.claimed
        if outcome.claimed == 0 or outcome.claimed == outcome.waiting:
            return total
