"""The redirect's "cap reached" flag reopens within seconds when the limit is raised, when a
conversion in the cap is reversed, and when the period rolls. Through the real redirect, the
callback endpoint, attribution and the API, on committed data (flags are set after commit)."""

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from offers.models import Cap
from offers.services import advertiser_postback_secret_set
from tests import factories
from tests.conftest import client_for
from tests.tracking.clicks.visits import ingest, visit
from tests.tracking.conversions.conftest import drain
from tracking.caps import cap_flag_key, cap_period_start
from tracking.clicks import buffer
from tracking.models import Click, Conversion

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "pbs_cap-flag-test-secret"


@pytest.fixture
def capped(settings):
    """A link to an offer with a daily cap of one conversion that sends visitors to the
    fallback when full, and an advertiser that can convert."""
    settings.CLICK_LINK_CACHE_SECONDS = 1
    advertiser = factories.AdvertiserFactory()
    advertiser_postback_secret_set(advertiser=advertiser, raw=SECRET)
    offer = factories.OfferFactory(
        advertiser=advertiser,
        landing_url="https://shop.example/land?cid={click_id}",
        fallback_url="https://fallback.example/sorry",
    )
    goal = factories.GoalFactory(offer=offer, ref="sale", is_default=True)
    factories.TermsFactory(goal=goal)
    publisher = factories.PublisherFactory()
    link = factories.TrackingLinkFactory(offer=offer, publisher=publisher)
    cap = factories.CapFactory(
        offer=offer, period=Cap.Period.DAY, limit=Decimal(1), action=Cap.Action.FALLBACK
    )
    return link, cap


def _landing(web: Client, link) -> str:
    response = visit(web, f"/c/{link.code}")
    assert response.status_code == 302
    return response["Location"]


def _convert(web: Client, link, txn: str) -> Conversion:
    """A visitor clicks through, then the advertiser's callback converts that click."""
    ingest()
    before = set(Click.objects.values_list("click_id", flat=True))
    assert _landing(web, link).startswith("https://shop.example/")
    ingest()
    (click_id,) = set(Click.objects.values_list("click_id", flat=True)) - before
    response = web.get("/postback", {"click_id": click_id, "txn_id": txn, "token": SECRET})
    assert response.status_code == 200, response.content
    drain()
    return Conversion.objects.get(click_id=click_id)


def _full(web: Client, link) -> Conversion:
    conversion = _convert(web, link, "first")
    assert conversion.status == "approved"
    assert _landing(web, link).startswith("https://fallback.example/")
    return conversion


def test_raising_the_limit_reopens_the_redirect_within_seconds(capped):
    link, cap = capped
    web = Client()
    _full(web, link)
    manager = client_for(factories.ManagerFactory())
    response = manager.patch(f"/api/v1/caps/{cap.id}/", {"limit": "2"}, format="json")
    assert response.status_code == 200, response.content
    time.sleep(2.2)  # the link snapshot's lifetime (CLICK_LINK_CACHE_SECONDS=1, 1 s in process)
    assert _landing(web, link).startswith("https://shop.example/")


def test_reversing_a_conversion_in_the_cap_reopens_the_redirect(capped):
    link, _cap = capped
    web = Client()
    conversion = _full(web, link)
    manager = client_for(factories.ManagerFactory())
    response = manager.post(
        f"/api/v1/conversions/{conversion.id}/reverse/",
        {"reason": "chargeback"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert _landing(web, link).startswith("https://shop.example/")
    # And the cap fills again with the next conversion.
    assert _convert(web, link, "second").status == "approved"
    assert _landing(web, link).startswith("https://fallback.example/")


def test_the_flag_reopens_when_the_period_rolls_and_expires_seconds_after_it(capped):
    link, cap = capped
    web = Client()
    last_second = datetime.now(UTC).replace(hour=23, minute=59, second=50, microsecond=0)
    with time_machine.travel(last_second, tick=True):
        _full(web, link)
        start = cap_period_start(period=cap.period, now=datetime.now(UTC))
        key = cap_flag_key(cap_id=cap.id, period_start=start, limit=cap.limit)
        ttl = buffer.redis_client().ttl(buffer.raw_cache_key(key))
        left = (start + timedelta(days=1) - datetime.now(UTC)).total_seconds()
        assert ttl is not None and 0 < ttl <= left + 6
    with time_machine.travel(last_second + timedelta(seconds=12), tick=True):
        assert _landing(web, link).startswith("https://shop.example/")
