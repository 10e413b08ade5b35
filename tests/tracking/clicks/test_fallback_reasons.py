from datetime import UTC, datetime

import pytest

from affiliates.models import OfferAccess, Publisher
from offers.models import Advertiser, Cap, Offer
from tests import factories
from tests.tracking.clicks.visits import GB_IP, IPHONE_UA, US_IP, only_click, visit
from tracking.caps import cap_period_start, cap_reached_set
from tracking.clicks import resolve

pytestmark = pytest.mark.django_db


def _fallback(client, link, **visitor):
    response = visit(client, f"/c/{link.code}", **visitor)
    assert response.status_code == 302
    click = only_click()
    return response["Location"], click


def test_a_paused_offer_sends_the_visitor_to_its_fallback_and_says_why(client, link):
    Offer.objects.filter(id=link.offer_id).update(status=Offer.Status.PAUSED)
    location, click = _fallback(client, link)
    assert location == f"https://fallback.example/sorry?cid={click.click_id}"
    assert click.fallback_reason == "offer_inactive"


def test_an_inactive_advertiser_makes_its_offers_inactive_at_the_redirect(client, link):
    Advertiser.objects.filter(id=link.offer.advertiser_id).update(status="inactive")
    assert _fallback(client, link)[1].fallback_reason == "offer_inactive"


def test_a_suspended_publisher_is_recorded_as_publisher_inactive(client, link):
    Publisher.objects.filter(id=link.publisher_id).update(status=Publisher.Status.SUSPENDED)
    assert _fallback(client, link)[1].fallback_reason == "publisher_inactive"


def test_a_publisher_without_approval_for_a_private_offer_is_not_allowed(client, link):
    Offer.objects.filter(id=link.offer_id).update(visibility=Offer.Visibility.PRIVATE)
    assert _fallback(client, link)[1].fallback_reason == "not_allowed"


def test_an_approved_publisher_of_a_private_offer_goes_through(client, link):
    Offer.objects.filter(id=link.offer_id).update(visibility=Offer.Visibility.APPROVAL)
    factories.OfferAccessFactory(
        offer=link.offer, publisher=link.publisher, status=OfferAccess.Status.APPROVED
    )
    location, click = _fallback(client, link)
    assert click.fallback_reason == "" and location.startswith("https://shop.example/land")


def test_a_country_outside_the_offer_targeting_is_refused_by_geoip(client, link):
    Offer.objects.filter(id=link.offer_id).update(countries=["DE", "FR"])
    location, click = _fallback(client, link, ip=GB_IP)
    assert (click.country, click.fallback_reason) == ("GB", "country")
    assert location.startswith("https://fallback.example/")


def test_a_country_in_the_targeting_goes_to_the_offer(client, link):
    Offer.objects.filter(id=link.offer_id).update(countries=["US"])
    _, click = _fallback(client, link, ip=US_IP)
    assert (click.country, click.fallback_reason) == ("US", "")


def test_a_trusted_proxy_country_header_wins_when_configured(client, link, settings):
    settings.CLICK_COUNTRY_HEADER = "CF-IPCountry"
    settings.CLICK_IP_HEADER = "X-Real-IP"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    Offer.objects.filter(id=link.offer_id).update(countries=["FR"])
    _, click = _fallback(client, link, ip="10.0.1.5", HTTP_X_REAL_IP=GB_IP, HTTP_CF_IPCOUNTRY="fr")
    assert (click.country, click.fallback_reason) == ("FR", "")


def test_a_country_header_from_an_untrusted_visitor_is_ignored(client, link, settings):
    settings.CLICK_COUNTRY_HEADER = "CF-IPCountry"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    Offer.objects.filter(id=link.offer_id).update(countries=["FR"])
    _, click = _fallback(client, link, ip=GB_IP, HTTP_CF_IPCOUNTRY="fr")
    assert (click.country, click.fallback_reason) == ("GB", "country")


def test_a_device_outside_the_offer_targeting_is_refused(client, link):
    Offer.objects.filter(id=link.offer_id).update(devices=["desktop"])
    _, click = _fallback(client, link, ua=IPHONE_UA)
    assert (click.device, click.fallback_reason) == ("mobile", "device")


@pytest.mark.parametrize("action", [Cap.Action.FALLBACK, Cap.Action.REJECT])
def test_a_reached_cap_sends_visitors_to_the_fallback(client, link, action):
    cap = factories.CapFactory(offer=link.offer, action=action, period=Cap.Period.DAY)
    start = cap_period_start(period="day", now=datetime.now(UTC))
    cap_reached_set(cap_id=cap.id, period_start=start, reached=True)
    location, click = _fallback(client, link)
    assert click.fallback_reason == "cap_reached"
    assert location == f"https://fallback.example/sorry?cid={click.click_id}"


def test_a_cap_of_another_publisher_or_a_hold_cap_does_not_turn_visitors_away(client, link):
    start = cap_period_start(period="day", now=datetime.now(UTC))
    for cap in (
        factories.CapFactory(offer=link.offer, publisher=factories.PublisherFactory()),
        factories.CapFactory(offer=link.offer, action=Cap.Action.HOLD),
    ):
        cap_reached_set(cap_id=cap.id, period_start=start, reached=True)
    assert _fallback(client, link)[1].fallback_reason == ""


def test_a_cap_freed_again_lets_visitors_through(client, link):
    cap = factories.CapFactory(offer=link.offer, period=Cap.Period.TOTAL)
    cap_reached_set(cap_id=cap.id, period_start=None, reached=True)
    cap_reached_set(cap_id=cap.id, period_start=None, reached=False)
    assert _fallback(client, link)[1].fallback_reason == ""


def test_without_an_offer_fallback_the_network_default_is_used(client, link, settings):
    Offer.objects.filter(id=link.offer_id).update(status="paused", fallback_url="")
    settings.CLICK_FALLBACK_URL = "https://network.example/more-offers?c={click_id}"
    location, click = _fallback(client, link)
    assert location == f"https://network.example/more-offers?c={click.click_id}"


def test_without_any_fallback_the_visitor_sees_our_own_unavailable_page(client, link, settings):
    Offer.objects.filter(id=link.offer_id).update(status="paused", fallback_url="")
    settings.CLICK_FALLBACK_URL = ""
    location, _ = _fallback(client, link)
    assert location == f"{settings.TRACKING_BASE_URL}/offer-unavailable"
    page = client.get("/offer-unavailable")
    assert page.status_code == 200 and b"Offer unavailable" in page.content


def test_an_edit_to_the_offer_is_seen_once_the_cached_snapshot_expires(client, link, monkeypatch):
    visit(client, f"/c/{link.code}")
    Offer.objects.filter(id=link.offer_id).update(status=Offer.Status.PAUSED)
    # Within the cache's freshness the old snapshot still answers...
    assert visit(client, f"/c/{link.code}")["Location"].startswith("https://shop.example/")
    # ...and once it expires (seconds in production), the edit is seen.
    later = tuple(now + 60 for now in resolve._clock())
    monkeypatch.setattr(resolve, "_clock", lambda: later)
    assert visit(client, f"/c/{link.code}")["Location"].startswith("https://fallback.example/")
