"""The creative and smart link pages (portal/views/creative_pages.py): publishers copy codes
with their link filled in and make smart links whose choices are explained in words; managers
approve or reject creatives; advertisers add creatives and upload banners through the API's
services. Each role sees only its own rows."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from offers.creatives import Creative
from tests import factories
from tests.portal.conftest import client_as
from tracking.models import SmartLink, SmartLinkOffer

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 250), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _creative(offer, approved=True, **fields) -> Creative:
    fields.setdefault("kind", "text")
    fields.setdefault("text", "Shop the sale")
    return Creative.objects.create(
        offer=offer, name=fields.pop("name", "t"), approved=approved, **fields
    )


def test_a_publisher_copies_each_approved_creatives_code_with_its_link_filled_in(net):
    shown = _creative(net.offer, name="Summer text")
    _creative(net.offer, approved=False, name="Draft text", text="Not yet")
    _creative(net.private_offer, name="Private text", text="Hidden")

    page = client_as(net.publisher_user).get("/publisher/creatives/")

    assert page.status_code == 200
    body = page.content.decode()
    assert "Summer text" in body and f"code-{shown.id}" in body
    assert f"creative={shown.id}" in body  # the link names the creative
    assert f'data-copy="code-{shown.id}"' in body
    assert "Draft text" not in body and "Not yet" not in body  # unapproved: not shown
    assert "Private text" not in body  # an offer it may not run


def test_a_publisher_sees_a_banner_preview_served_from_storage(net):
    banner = Creative.objects.create(
        offer=net.offer, name="Leaderboard", kind="banner", approved=True
    )
    banner.image_file.save("banner.png", io.BytesIO(_png()), save=True)

    body = client_as(net.publisher_user).get("/publisher/creatives/").content.decode()

    assert f'src="{banner.image_file.url}"' in body


def test_a_publisher_makes_a_smart_link_and_reads_its_choices_in_words(net):
    client = client_as(net.publisher_user)
    made = client.post(
        "/publisher/smart-links/",
        {"name": "All sales", "rule": "epc", "offers": [net.offer.id, net.other_offer.id]},
    )
    link = SmartLink.objects.get(publisher=net.publisher)
    assert made.status_code == 302 and made["Location"] == f"/publisher/smart-links/{link.id}/"
    assert set(SmartLinkOffer.objects.values_list("offer_id", flat=True)) == {
        net.offer.id,
        net.other_offer.id,
    }
    factories.ClickFactory(
        offer_id=net.offer.id,
        publisher_id=net.publisher.id,
        smart_link_id=link.id,
        smart_choice=f"epc:best_epc|{net.offer.id}::0.5000|{net.other_offer.id}:country:0.1000",
    )

    listed = client.get("/publisher/smart-links/").content.decode()
    page = client.get(f"/publisher/smart-links/{link.id}/").content.decode()

    assert f"/s/{link.code}" in listed and "All sales" in listed
    assert "The eligible offer with the highest recent EPC" in page
    assert "Other Deal: The visitor&#x27;s country is not targeted" in page
    assert "Acme Summer Sale: chosen" in page
    assert "0.5000" not in page  # network-wide EPCs are for staff


def test_another_publishers_smart_link_is_not_found(net):
    link = SmartLink.objects.create(publisher=net.other_publisher, name="Theirs", code="theirs1")

    response = client_as(net.publisher_user).get(f"/publisher/smart-links/{link.id}/")

    assert response.status_code == 404


def test_a_smart_link_of_an_offer_the_publisher_may_not_run_is_refused(net):
    client = client_as(net.publisher_user)

    response = client.post(
        "/publisher/smart-links/",
        {"name": "Sneaky", "rule": "epc", "offers": [net.private_offer.id]},
    )

    assert response.status_code == 400
    assert not SmartLink.objects.exists()


def test_a_manager_approves_and_rejects_creatives_from_the_queue(net):
    first = _creative(net.offer, approved=False, name="First")
    second = _creative(net.offer, approved=False, name="Second")
    client = client_as(net.manager)

    queue = client.get("/manager/creatives/").content.decode()
    approved = client.post(f"/manager/creatives/{first.id}/approve/")
    rejected = client.post(f"/manager/creatives/{second.id}/reject/")

    assert "First" in queue and "data-confirm" in queue
    assert approved.status_code == 302 and approved["Location"] == "/manager/creatives/"
    assert rejected.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.approved, first.approved_by_id) == (True, net.manager.id)
    assert (second.approved, second.is_active) == (False, False)
    assert "No creative waits for approval." in client.get("/manager/creatives/").content.decode()


def test_an_advertiser_cannot_approve_and_a_publisher_cannot_open_the_queue(net):
    waiting = _creative(net.offer, approved=False)

    by_advertiser = client_as(net.advertiser_user).post(f"/manager/creatives/{waiting.id}/approve/")
    queue_for_publisher = client_as(net.publisher_user).get("/manager/creatives/")

    assert by_advertiser.status_code == 403
    assert queue_for_publisher.status_code == 403
    waiting.refresh_from_db()
    assert not waiting.approved


def test_an_advertiser_adds_a_banner_with_its_image_and_it_waits_for_approval(net):
    client = client_as(net.advertiser_user)

    added = client.post(
        "/advertiser/creatives/",
        {
            "offer": net.offer.id,
            "name": "Big banner",
            "kind": "banner",
            "image": SimpleUploadedFile("b.png", _png(), content_type="image/png"),
        },
    )

    assert added.status_code == 302, added.content[:500]
    creative = Creative.objects.get(name="Big banner")
    assert (creative.approved, creative.image_content_type, creative.width) == (
        False,
        "image/png",
        300,
    )
    page = client.get("/advertiser/creatives/").content.decode()
    assert "waiting for approval" in page and creative.image_file.url in page


def test_an_advertisers_svg_is_refused_by_the_same_checks_as_the_api(net):
    banner = Creative.objects.create(offer=net.offer, name="Banner", kind="banner", approved=True)
    client = client_as(net.advertiser_user)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

    response = client.post(
        f"/advertiser/creatives/{banner.id}/image/",
        {"image": SimpleUploadedFile("b.png", svg, content_type="image/png")},
        follow=True,
    )

    assert "A PNG, JPEG, GIF or WebP image." in response.content.decode()
    banner.refresh_from_db()
    assert not banner.image_file and banner.approved


def test_an_advertiser_sees_and_uploads_to_its_own_offers_creatives_only(net):
    theirs = Creative.objects.create(
        offer=net.other_offer, name="Theirs", kind="banner", approved=True
    )
    client = client_as(net.advertiser_user)

    page = client.get("/advertiser/creatives/").content.decode()
    upload = client.post(
        f"/advertiser/creatives/{theirs.id}/image/",
        {"image": SimpleUploadedFile("b.png", _png(), content_type="image/png")},
    )

    assert "Theirs" not in page
    assert upload.status_code == 404
