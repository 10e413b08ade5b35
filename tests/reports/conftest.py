"""Clicks and conversions written the way the writers do: real rows, then the hook, in one
transaction. Two advertisers (one offer each, USD and EUR), two publishers."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from tests import factories
from tracking.hooks import after_clicks_ingested, after_conversion_changed
from tracking.models import Click, Conversion


@dataclass
class World:
    advertiser_a: object
    advertiser_b: object
    offer_a: object
    offer_b: object
    goal_a: object
    goal_b: object
    pub_1: object
    pub_2: object


@pytest.fixture
def world(db) -> World:
    return world_build()


def world_build() -> World:
    goal_a = factories.GoalFactory(offer__currency="USD")
    goal_b = factories.GoalFactory(offer__currency="EUR")
    return World(
        advertiser_a=goal_a.offer.advertiser,
        advertiser_b=goal_b.offer.advertiser,
        offer_a=goal_a.offer,
        offer_b=goal_b.offer,
        goal_a=goal_a,
        goal_b=goal_b,
        pub_1=factories.PublisherFactory(),
        pub_2=factories.PublisherFactory(),
    )


def clicks_ingest(*specs: dict) -> list[Click]:
    """Insert clicks (each spec: offer, publisher, at, and any Click field) as one batch."""
    with transaction.atomic():
        clicks = []
        for spec in specs:
            spec = dict(spec)
            offer, publisher, at = spec.pop("offer"), spec.pop("publisher"), spec.pop("at")
            clicks.append(
                factories.ClickFactory(
                    offer_id=offer.id, publisher_id=publisher.id, created_at=at, **spec
                )
            )
        after_clicks_ingested(clicks=clicks)
    return clicks


def convert(
    *,
    click: Click,
    goal,
    at: datetime,
    status: str = "approved",
    revenue: str = "10.00",
    payout: str = "7.00",
    sale_amount: str | None = None,
) -> Conversion:
    """A conversion of `click` created at `at`, counted as attribution does."""
    with transaction.atomic():
        conversion = factories.ConversionFactory(
            goal=goal,
            publisher_id=click.publisher_id,
            click_id=click.click_id,
            click_created_at=click.created_at,
            status=status,
            currency=goal.offer.currency,
            revenue=Decimal(revenue),
            payout=Decimal(payout),
            sale_amount=None if sale_amount is None else Decimal(sale_amount),
            sub1=click.sub1,
        )
        Conversion.objects.filter(pk=conversion.pk).update(created_at=at)
        conversion.refresh_from_db()
        after_conversion_changed(conversion=conversion, previous_status=None)
    return conversion


def conversion_change(conversion: Conversion, **changes) -> None:
    """Change status or amounts the way a reviewer or a reversal would, then the hook."""
    previous = conversion.status
    with transaction.atomic():
        for name, value in changes.items():
            setattr(conversion, name, Decimal(value) if name in ("revenue", "payout") else value)
        conversion.save()
        after_conversion_changed(conversion=conversion, previous_status=previous)


def report(client, **params) -> dict:
    response = client.get("/api/v1/reports/", params)
    assert response.status_code == 200, response.content
    return response.json()
