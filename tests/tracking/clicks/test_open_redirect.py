"""No request can make the redirect lead off the offer's configured hosts."""

from urllib.parse import quote, urlsplit

import pytest

from offers.models import Offer
from tests.tracking.clicks.visits import visit

pytestmark = pytest.mark.django_db

OFFER_HOSTS = {"shop.example", "fallback.example", "127.0.0.1"}
EVIL = [
    "//evil.example",
    "//evil.example/%2F..",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https:/evil.example",
    "https:\\\\evil.example",
    "http://evil.example",
    "https://shop.example@evil.example",
    "https://shop.example.evil.example",
    "https://evil.example\\@shop.example",
    "https://evil.example#@shop.example",
    "https://shop.example%2F@evil.example",
    "https://evil.example%00.shop.example",
    "\thttps://evil.example",
    "ht\ttps://evil.example",
    "https://evil.example\t/",
    "https://\tevil.example",
    " //evil.example",
    "%2F%2Fevil.example",
    "%5C%5Cevil.example",
    "https%3A%2F%2Fevil.example",
    "javascript://shop.example/%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://SHOP.EXAMPLE.evil.example",
    "https://shop.example./",
]


def _assert_on_offer_hosts(response):
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        location = response["Location"]
        parts = urlsplit(location)
        assert parts.scheme in ("http", "https"), location
        assert parts.hostname in OFFER_HOSTS, location
        assert "\\" not in location and "\t" not in location, location
        assert not location.startswith("//"), location


@pytest.fixture
def deep_link(link):
    Offer.objects.filter(id=link.offer_id).update(
        deep_links_allowed=True, deep_link_allowed_hosts=["shop.example"]
    )
    return link


@pytest.mark.parametrize("evil", EVIL)
def test_in_url_parameter(client, deep_link, evil):
    for encoded in (quote(evil, safe=""), quote(quote(evil, safe=""), safe="")):
        _assert_on_offer_hosts(visit(client, f"/c/{deep_link.code}?url={encoded}"))


@pytest.mark.parametrize("evil", EVIL)
def test_in_sub_ids_and_source(client, deep_link, evil):
    encoded = quote(evil, safe="")
    path = f"/c/{deep_link.code}?sub1={encoded}&sub5={encoded}&source={encoded}"
    _assert_on_offer_hosts(visit(client, path))
    tune = (
        f"/aff_c?offer_id={deep_link.offer_id}&aff_id={deep_link.publisher_id}"
        f"&aff_sub={encoded}&url={encoded}"
    )
    _assert_on_offer_hosts(visit(client, tune))


@pytest.mark.parametrize("evil", EVIL)
def test_in_the_path(client, deep_link, evil):
    for encoded in (evil, quote(evil, safe="")):
        _assert_on_offer_hosts(visit(client, f"/c/{deep_link.code}/{encoded}"))
        _assert_on_offer_hosts(visit(client, f"/c/{encoded}"))


@pytest.mark.parametrize("evil", EVIL)
def test_on_the_fallback_path(client, deep_link, evil):
    Offer.objects.filter(id=deep_link.offer_id).update(status="paused")
    encoded = quote(evil, safe="")
    _assert_on_offer_hosts(visit(client, f"/c/{deep_link.code}?url={encoded}&sub1={encoded}"))


def test_a_landing_url_with_a_macro_in_its_host_is_never_filled(client, link):
    Offer.objects.filter(id=link.offer_id).update(landing_url="https://{sub1}/land")
    response = visit(client, f"/c/{link.code}?sub1=evil.example")
    _assert_on_offer_hosts(response)
    assert response["Location"].startswith("https://fallback.example/")
