"""Banner images uploaded through the API: stored by Django's storage API under a random name,
judged by their bytes, bounded in size, written only by managers and the offer's advertiser,
and handed to publishers as an absolute URL in their creative codes."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from offers.creatives import Creative
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _image(image_format: str = "PNG", size: tuple[int, int] = (300, 250)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=image_format)
    return out.getvalue()


def _upload(user, creative: Creative, content: bytes, name: str = "my banner.png", **kwargs):
    return client_for(user).post(
        f"/api/v1/creatives/{creative.id}/image/",
        {"image": SimpleUploadedFile(name, content, content_type="image/png"), **kwargs},
        format="multipart",
    )


def _banner(offer, **fields) -> Creative:
    return Creative.objects.create(offer=offer, name="b", kind="banner", **fields)


def test_a_manager_uploads_a_banner_image_stored_under_a_random_name_with_its_size_recorded():
    offer = factories.OfferFactory()
    creative = _banner(offer)
    answer = _upload(factories.ManagerFactory(), creative, _image("JPEG", (728, 90)))
    assert answer.status_code == 200, answer.json()
    creative.refresh_from_db()
    name = creative.image_file.name
    assert name.startswith("creatives/") and name.endswith(".jpg") and "banner" not in name
    assert default_storage.exists(name)
    assert (creative.width, creative.height) == (728, 90)
    assert creative.image_content_type == "image/jpeg"
    assert creative.image_bytes == default_storage.size(name)
    assert creative.approved
    assert answer.json()["image_file_url"] == f"http://127.0.0.1:8000/media/{name}"


def test_publishers_get_the_uploaded_files_absolute_url_in_their_creative_codes():
    publisher = factories.PublisherUserFactory()
    offer = factories.OfferFactory()
    creative = _banner(offer, approved=True)
    pending = client_for(publisher).get("/api/v1/creative-codes/").json()["results"]
    assert pending == [], "a banner without an image is not offered yet"
    assert _upload(factories.ManagerFactory(), creative, _image()).status_code == 200
    creative.refresh_from_db()
    rows = client_for(publisher).get("/api/v1/creative-codes/").json()["results"]
    assert [row["id"] for row in rows] == [creative.id]
    src = f"http://127.0.0.1:8000/media/{creative.image_file.name}"
    assert rows[0]["image_src"] == src
    assert f'<img src="{src}" width="300" height="250"' in rows[0]["code"]


@pytest.mark.parametrize(
    "content",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"%PDF-1.4 not an image",
        b"\x89PNG\r\n\x1a\n but truncated",
        b"GIF89a",
    ],
    ids=["svg", "pdf", "truncated-png", "bare-gif-header"],
)
def test_anything_but_a_png_jpeg_gif_or_webp_is_refused_whatever_its_name(content):
    creative = _banner(factories.OfferFactory())
    answer = _upload(factories.ManagerFactory(), creative, content, name="banner.png")
    assert answer.status_code == 400, answer.json()
    assert answer.json()["error"]["fields"]["image"]
    creative.refresh_from_db()
    assert not creative.image_file


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "GIF", "WEBP"])
def test_each_accepted_format_is_read_from_its_bytes(image_format):
    creative = _banner(factories.OfferFactory())
    answer = _upload(factories.ManagerFactory(), creative, _image(image_format), name="x.svg")
    assert answer.status_code == 200, answer.json()
    creative.refresh_from_db()
    assert creative.image_content_type == f"image/{image_format.lower()}"
    assert not creative.image_file.name.endswith(".svg")


def test_an_image_larger_than_the_limit_is_refused(settings):
    settings.CREATIVE_IMAGE_MAX_BYTES = 2048
    creative = _banner(factories.OfferFactory())
    big = _image("PNG", (300, 250)) + b"\x00" * 4096
    answer = _upload(factories.ManagerFactory(), creative, big)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "too_large"


def test_the_offers_advertiser_uploads_and_waits_for_approval_again():
    user = factories.AdvertiserUserFactory()
    creative = _banner(factories.OfferFactory(advertiser=user.advertiser), approved=True)
    answer = _upload(user, creative, _image())
    assert answer.status_code == 200, answer.json()
    assert answer.json()["approved"] is False


def test_another_advertiser_and_a_publisher_are_refused():
    offer = factories.OfferFactory()
    creative = _banner(offer, image_url="https://cdn.example/b.png", approved=True)
    stranger = factories.AdvertiserUserFactory()
    assert _upload(stranger, creative, _image()).status_code == 404
    publisher = factories.PublisherUserFactory()
    assert _upload(publisher, creative, _image()).status_code == 403
    creative.refresh_from_db()
    assert not creative.image_file and creative.approved


def test_only_a_banner_takes_an_image_and_only_as_multipart():
    manager = factories.ManagerFactory()
    text = Creative.objects.create(offer=factories.OfferFactory(), name="t", kind="text", text="x")
    assert _upload(manager, text, _image()).status_code == 400
    banner = _banner(factories.OfferFactory())
    as_json = client_for(manager).post(
        f"/api/v1/creatives/{banner.id}/image/", {"image": "aGk="}, format="json"
    )
    assert as_json.status_code == 415
    extra = _upload(manager, banner, _image(), approved="true")
    assert extra.status_code == 400 and extra.json()["error"]["code"] == "not_writable"


def test_the_rest_of_the_creatives_api_takes_json_only():
    manager = factories.ManagerFactory()
    offer = factories.OfferFactory()
    answer = client_for(manager).post(
        "/api/v1/creatives/",
        {"offer": offer.id, "name": "t", "kind": "text", "text": "Go"},
        format="multipart",
    )
    assert answer.status_code == 415
