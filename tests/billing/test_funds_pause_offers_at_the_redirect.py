"""An advertiser's offers pause at the redirect when its funds are used up, and resume when it
tops up; budgets likewise. Through the real click URL, as a visitor follows a link: the hold
reaches the redirect through the link snapshot (no query per click), within the snapshot's
freshness (CLICK_LINK_CACHE_SECONDS)."""

from decimal import Decimal
from unittest import mock

import pytest

from billing.services.funds import billing_holds_refresh, revenue_budget_set
from billing.services.receivables import advertiser_top_up, funds_limit_set
from billing.tasks import billing_holds_refresh_task
from tests import factories
from tests.tracking.clicks.visits import only_click, visit
from tracking.clicks import resolve
from tracking.models import Click

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_link_cache(settings):
    settings.CLICK_LINK_CACHE_SECONDS = 2
    resolve.link_cache_clear()
    yield
    resolve.link_cache_clear()


@pytest.fixture
def link(advertiser):
    offer = factories.OfferFactory(
        advertiser=advertiser,
        landing_url="https://shop.example/land?cid={click_id}",
        fallback_url="https://fallback.example/sorry?cid={click_id}",
    )
    return factories.TrackingLinkFactory(offer=offer)


def _click(client, link):
    Click.objects.all().delete()
    response = visit(client, f"/c/{link.code}")
    assert response.status_code == 302
    return response["Location"], only_click()


def _seconds_later(seconds: float):
    """The redirect's clock moved on, as it does between two visitors."""
    real = resolve._clock()
    return mock.patch.object(resolve, "_clock", lambda: (real[0] + seconds, real[1] + seconds))


def _book(link, revenue: str):
    factories.ConversionFactory(
        goal=link.offer.goals.first() or factories.GoalFactory(offer=link.offer),
        publisher=link.publisher,
        revenue=Decimal(revenue),
        payout=Decimal("0"),
    )


def test_an_exhausted_prepaid_balance_pauses_the_offer_and_a_top_up_resumes_it(
    client, link, advertiser, finance
):
    funds_limit_set(
        advertiser_id=advertiser.id, currency="USD", credit_limit=Decimal(0), set_by=finance
    )
    advertiser_top_up(
        advertiser_id=advertiser.id, currency="USD", amount=Decimal("15.00"), recorded_by=finance
    )
    billing_holds_refresh()
    location, click = _click(client, link)
    assert location.startswith("https://shop.example/land") and click.fallback_reason == ""

    _book(link, "10.00")
    _book(link, "5.00")  # 15.00 booked: the prepaid 15.00 is used up
    billing_holds_refresh_task()  # what the beat runs every BILLING_HOLDS_REFRESH_SECONDS
    with _seconds_later(3):
        location, click = _click(client, link)
    assert location == f"https://fallback.example/sorry?cid={click.click_id}"
    assert click.fallback_reason == "funds_exhausted"

    # The top-up lifts the hold at once (after its commit), seen within seconds.
    with mock.patch("django.db.transaction.on_commit", lambda fn, *a, **k: fn()):
        advertiser_top_up(
            advertiser_id=advertiser.id,
            currency="USD",
            amount=Decimal("50.00"),
            recorded_by=finance,
        )
    with _seconds_later(6):
        location, click = _click(client, link)
    assert location.startswith("https://shop.example/land") and click.fallback_reason == ""


def test_a_credit_limit_lets_revenue_run_ahead_of_money_received(client, link, advertiser, finance):
    funds_limit_set(
        advertiser_id=advertiser.id, currency="USD", credit_limit=Decimal("20.00"), set_by=finance
    )
    _book(link, "19.99")
    billing_holds_refresh()
    assert _click(client, link)[1].fallback_reason == ""
    _book(link, "0.01")
    billing_holds_refresh()
    with _seconds_later(3):
        assert _click(client, link)[1].fallback_reason == "funds_exhausted"


def test_a_daily_revenue_budget_pauses_its_offer_when_reached(client, link, finance):
    revenue_budget_set(
        offer_id=link.offer_id, period="day", amount=Decimal("10.00"), set_by=finance
    )
    _book(link, "10.00")
    billing_holds_refresh()
    location, click = _click(client, link)
    assert click.fallback_reason == "budget_reached"
    assert location.startswith("https://fallback.example/")

    revenue_budget_set(
        offer_id=link.offer_id, period="day", amount=Decimal("25.00"), set_by=finance
    )
    billing_holds_refresh()
    with _seconds_later(3):
        assert _click(client, link)[1].fallback_reason == ""
