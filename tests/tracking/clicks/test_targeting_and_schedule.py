"""OS, browser and language targeting, day-parting and offer dates: each miss goes to the
fallback with its reason on the click."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from offers.landing import OfferTargeting
from tests import factories
from tests.conftest import client_for
from tests.tracking.clicks.visits import BROWSER_UA, IPHONE_UA, only_click, visit
from tracking.clicks.targeting import accept_languages

pytestmark = pytest.mark.django_db

CHROME_WINDOWS_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)


def _go(client, link, **visitor):
    response = visit(client, f"/c/{link.code}", **visitor)
    assert response.status_code == 302
    click = only_click()
    return response["Location"], click.fallback_reason


def _target(link, **fields) -> None:
    OfferTargeting.objects.create(offer=link.offer, **fields)


def test_an_operating_system_outside_the_targeting_goes_to_the_fallback(client, link):
    _target(link, oses=["ios"])
    location, reason = _go(client, link, ua=BROWSER_UA)
    assert reason == "os" and location.startswith("https://fallback.example/")


def test_an_operating_system_in_the_targeting_goes_to_the_offer(client, link):
    _target(link, oses=["ios", "android"])
    location, reason = _go(client, link, ua=IPHONE_UA)
    assert reason == "" and location.startswith("https://shop.example/land")


def test_a_browser_outside_the_targeting_goes_to_the_fallback(client, link):
    _target(link, browsers=["chrome"])
    assert _go(client, link, ua=BROWSER_UA)[1] == "browser"


def test_a_browser_in_the_targeting_goes_to_the_offer(client, link):
    _target(link, browsers=["chrome"])
    assert _go(client, link, ua=CHROME_WINDOWS_UA)[1] == ""


def test_a_language_outside_the_targeting_goes_to_the_fallback(client, link):
    _target(link, languages=["de"])
    assert _go(client, link, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")[1] == "language"


def test_a_visitor_accepting_a_targeted_language_goes_to_the_offer(client, link):
    _target(link, languages=["de"])
    assert _go(client, link, HTTP_ACCEPT_LANGUAGE="fr-CH, de;q=0.5, en;q=0.1")[1] == ""


def test_a_visitor_without_accept_language_misses_a_language_targeting(client, link):
    _target(link, languages=["de"])
    assert _go(client, link)[1] == "language"


def test_accept_language_is_read_as_primary_subtags_with_positive_quality():
    assert accept_languages("de-CH, fr;q=0.8, en;q=0, *;q=0.1") == {"de", "fr"}
    assert accept_languages("") == frozenset()
    assert accept_languages("x-klingon;q=abc, 12") == frozenset()


def test_an_offer_not_started_yet_goes_to_the_fallback(client, link):
    _target(link, starts_at=datetime.now(UTC) + timedelta(hours=1))
    assert _go(client, link)[1] == "not_started"


def test_an_ended_offer_goes_to_the_fallback(client, link):
    _target(link, ends_at=datetime.now(UTC) - timedelta(minutes=1))
    assert _go(client, link)[1] == "ended"


def test_an_offer_within_its_dates_goes_to_the_offer(client, link):
    now = datetime.now(UTC)
    _target(link, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1))
    assert _go(client, link)[1] == ""


def test_day_parting_is_read_in_the_offer_time_zone(client, link):
    # Monday 09:00-09:59 in Tokyo only: 00:30 UTC is 09:30 there.
    _target(link, time_zone="Asia/Tokyo", hours={"0": [9]})
    with time_machine.travel(MONDAY + timedelta(minutes=30), tick=True):
        assert _go(client, link)[1] == ""


def test_outside_the_day_parting_the_visitor_goes_to_the_fallback(client, link):
    _target(link, time_zone="Asia/Tokyo", hours={"0": [9]})
    # 10:30 UTC on Monday is 19:30 in Tokyo.
    with time_machine.travel(MONDAY + timedelta(hours=10, minutes=30), tick=True):
        location, reason = _go(client, link)
    assert reason == "schedule" and location.startswith("https://fallback.example/")


def test_targeting_is_set_through_the_api_and_checked(link):
    manager = client_for(factories.ManagerFactory())
    bad = manager.post(
        "/api/v1/offer-targeting/",
        {"offer": link.offer_id, "time_zone": "Mars/Olympus", "oses": ["ios"]},
        format="json",
    )
    assert bad.status_code == 400 and "time_zone" in bad.json()["error"]["fields"]
    good = manager.post(
        "/api/v1/offer-targeting/",
        {"offer": link.offer_id, "oses": ["iOS"], "hours": {"5": [20, 21]}},
        format="json",
    )
    assert good.status_code == 201, good.content
    targeting = OfferTargeting.objects.get(offer=link.offer)
    assert (targeting.oses, targeting.hours) == (["ios"], {"5": [20, 21]})
