"""Creatives: sanitised HTML, who may write and approve them, and what publishers see."""

import pytest

from offers.creative_services import creative_html_sanitise
from offers.creatives import Creative
from offers.models import Offer
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

HOSTILE = (
    '<div onclick="steal()"><a href="{tracking_link}" onmouseover="x()">Buy</a>'
    "<script>alert(1)</script><iframe src='https://evil.example/'></iframe>"
    '<a href="javascript:alert(1)">js</a><a href="/relative">rel</a>'
    '<img src="https://cdn.example/b.png" onerror="x()" width="300">'
    "<style>body{display:none}</style><form action='https://evil.example/'></form></div>"
)


def test_html_is_sanitised_down_to_links_images_and_formatting():
    clean = creative_html_sanitise(HOSTILE)
    for gone in (
        "script",
        "iframe",
        "onclick",
        "onmouseover",
        "onerror",
        "javascript:",
        "/relative",
        "style",
        "form",
        "evil.example",
    ):
        assert gone not in clean, (gone, clean)
    assert 'href="{tracking_link}"' in clean
    assert '<img src="https://cdn.example/b.png" width="300">' in clean


def _advertiser_offer():
    user = factories.AdvertiserUserFactory()
    return user, factories.OfferFactory(advertiser=user.advertiser)


def test_a_managers_html_creative_is_stored_sanitised_and_approved():
    manager = factories.ManagerFactory()
    offer = factories.OfferFactory()
    answer = client_for(manager).post(
        "/api/v1/creatives/",
        {"offer": offer.id, "name": "snippet", "kind": "html", "html": HOSTILE},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    stored = Creative.objects.get()
    assert "script" not in stored.html and "onclick" not in stored.html
    assert answer.json()["html"] == stored.html
    assert stored.approved and stored.approved_by == manager


def test_an_advertisers_creative_waits_for_a_managers_approval():
    user, offer = _advertiser_offer()
    answer = client_for(user).post(
        "/api/v1/creatives/",
        {
            "offer": offer.id,
            "name": "b",
            "kind": "banner",
            "image_url": "https://cdn.example/b.png",
            "width": 300,
            "height": 250,
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["approved"] is False
    creative_id = answer.json()["id"]

    refused = client_for(user).post(f"/api/v1/creatives/{creative_id}/approve/")
    assert refused.status_code == 403
    approved = client_for(factories.ManagerFactory()).post(
        f"/api/v1/creatives/{creative_id}/approve/"
    )
    assert approved.status_code == 200 and approved.json()["approved"] is True

    # Changing it again sends it back for approval.
    changed = client_for(user).patch(
        f"/api/v1/creatives/{creative_id}/",
        {"image_url": "https://cdn.example/c.png"},
        format="json",
    )
    assert changed.status_code == 200 and changed.json()["approved"] is False


def test_an_advertiser_cannot_write_another_advertisers_creatives():
    user, _ = _advertiser_offer()
    foreign = factories.OfferFactory()
    creative = Creative.objects.create(offer=foreign, name="x", kind="text", text="Go")
    answer = client_for(user).post(
        "/api/v1/creatives/",
        {"offer": foreign.id, "name": "y", "kind": "text", "text": "Hi"},
        format="json",
    )
    assert answer.status_code == 400 and "offer" in answer.json()["error"]["fields"]
    assert (
        client_for(user)
        .patch(f"/api/v1/creatives/{creative.id}/", {"text": "Mine"}, format="json")
        .status_code
        == 404
    )


def test_a_publisher_cannot_write_or_approve_creatives():
    publisher = factories.PublisherUserFactory()
    offer = factories.OfferFactory()
    creative = Creative.objects.create(offer=offer, name="x", kind="text", text="Go", approved=True)
    client = client_for(publisher)
    assert (
        client.post(
            "/api/v1/creatives/",
            {"offer": offer.id, "name": "y", "kind": "text", "text": "Hi"},
            format="json",
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/creatives/{creative.id}/approve/").status_code == 403
    assert (
        client.patch(f"/api/v1/creatives/{creative.id}/", {"text": "x"}, format="json").status_code
        == 403
    )


def test_a_banner_needs_an_http_image_and_approval_sets_nothing_else():
    manager = factories.ManagerFactory()
    offer = factories.OfferFactory()
    answer = client_for(manager).post(
        "/api/v1/creatives/",
        {"offer": offer.id, "name": "b", "kind": "banner", "image_url": "javascript:alert(1)"},
        format="json",
    )
    assert answer.status_code == 400 and "image_url" in answer.json()["error"]["fields"]
    sent_approved = client_for(manager).post(
        "/api/v1/creatives/",
        {"offer": offer.id, "name": "t", "kind": "text", "text": "Go", "approved": True},
        format="json",
    )
    assert sent_approved.status_code == 400


def test_publishers_get_approved_creatives_of_runnable_offers_with_their_link_filled_in():
    user = factories.PublisherUserFactory()
    offer = factories.OfferFactory()
    private = factories.OfferFactory(visibility=Offer.Visibility.PRIVATE)
    banner = Creative.objects.create(
        offer=offer,
        name="b",
        kind="banner",
        image_url="https://cdn.example/b.png",
        width=300,
        height=250,
        approved=True,
    )
    snippet = Creative.objects.create(
        offer=offer,
        name="h",
        kind="html",
        approved=True,
        html='<p><a href="{tracking_link}">Buy</a></p><script>x()</script>',
    )
    Creative.objects.create(offer=offer, name="draft", kind="text", text="Draft")
    Creative.objects.create(offer=private, name="p", kind="text", text="P", approved=True)
    answer = client_for(user).get("/api/v1/creative-codes/")
    assert answer.status_code == 200
    rows = {row["id"]: row for row in answer.json()["results"]}
    assert set(rows) == {banner.id, snippet.id}
    link = rows[banner.id]["click_url"]
    assert link.endswith(f"?creative={banner.id}") and "/c/" in link
    assert rows[banner.id]["code"] == (
        f'<a href="{link}" rel="sponsored noopener" target="_blank">'
        '<img src="https://cdn.example/b.png" width="300" height="250" alt="b"></a>'
    )
    code = rows[snippet.id]["code"]
    assert f'href="{rows[snippet.id]["click_url"]}"' in code and "script" not in code
    assert client_for(factories.ManagerFactory()).get("/api/v1/creative-codes/").status_code == 403
