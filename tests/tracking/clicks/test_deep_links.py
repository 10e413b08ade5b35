from urllib.parse import quote

import pytest

from offers.models import Offer
from tests.tracking.clicks.visits import only_click, visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def deep_offer(link):
    Offer.objects.filter(id=link.offer_id).update(
        deep_links_allowed=True, deep_link_allowed_hosts=["shop.example", "m.shop.example"]
    )
    return link


def _go(client, link, target: str) -> str:
    response = visit(client, f"/c/{link.code}?url={quote(target, safe='')}")
    assert response.status_code == 302
    return response["Location"]


def test_a_deep_link_to_an_allowed_host_is_followed_with_macros_filled(client, deep_offer):
    location = _go(client, deep_offer, "https://m.shop.example/p/42?cid={click_id}")
    assert location == f"https://m.shop.example/p/42?cid={only_click().click_id}"


def test_a_deep_link_to_another_host_goes_to_the_landing_url(client, deep_offer):
    location = _go(client, deep_offer, "https://other.example/p/42")
    assert location.startswith("https://shop.example/land?")


def test_a_subdomain_of_an_allowed_host_is_not_the_allowed_host(client, deep_offer):
    assert _go(client, deep_offer, "https://evil.shop.example/").startswith(
        "https://shop.example/land?"
    )


def test_deep_links_are_ignored_when_the_offer_does_not_allow_them(client, link):
    Offer.objects.filter(id=link.offer_id).update(deep_link_allowed_hosts=["shop.example"])
    assert _go(client, link, "https://shop.example/p/1").startswith("https://shop.example/land?")


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "ftp://shop.example/file",
        "https://shop.example:8443/p",
        "https://user@shop.example/p",
        "//shop.example/p",
    ],
)
def test_only_plain_http_or_https_deep_links_are_followed(client, deep_offer, target):
    assert _go(client, deep_offer, target).startswith("https://shop.example/land?")


def test_a_deep_link_is_not_followed_when_the_visitor_goes_to_the_fallback(client, deep_offer):
    Offer.objects.filter(id=deep_offer.offer_id).update(status="paused")
    assert _go(client, deep_offer, "https://shop.example/p/1").startswith(
        "https://fallback.example/"
    )
