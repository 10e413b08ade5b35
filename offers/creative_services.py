"""Creatives (offers/creatives.py): who sees and writes them, and the HTML sanitiser.

HTML snippets are sanitised with nh3 (the Python binding of the Rust crate ammonia) when they
are saved, and only the sanitised text is stored; the code handed to publishers
(tracking/creative_code.py) sanitises it once more, so a row written around this module (the
admin, a shell) is never handed out raw. The redirect sees a change within
CLICK_LINK_CACHE_SECONDS (the link snapshot is rebuilt from these rows).
"""

import warnings
from collections.abc import Mapping
from typing import Any

import nh3
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from PIL import Image, UnidentifiedImageError

from accounts.models import Role, User
from accounts.selectors import user_role
from core.errors import DomainError, ForbiddenError
from core.validation import Problems, check_url
from offers.creatives import Creative
from offers.selectors import offers_runnable_by, offers_visible_to

# Stands for the publisher's tracking link in an HTML snippet; filled in when its code is given.
LINK_PLACEHOLDER = "{tracking_link}"
# What a snippet may hold: links, images and plain formatting. No script, style, form, iframe
# or event handler survives; URLs are http(s) or the link placeholder.
_TAGS = frozenset(
    {"a", "img", "p", "div", "span", "br", "b", "strong", "i", "em", "small", "ul", "ol", "li"}
)
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
}
_URL_ATTRIBUTES = frozenset({"href", "src"})
MAX_HTML = 20_000


def _attribute_kept(tag: str, attribute: str, value: str) -> str | None:
    """Absolute http(s) URLs and the placeholder only: a relative URL would point into the
    publisher's own site, which no creative needs."""
    if attribute not in _URL_ATTRIBUTES:
        return value
    if value == LINK_PLACEHOLDER or value.lower().startswith(("http://", "https://")):
        return value
    return None


def creative_html_sanitise(html: str) -> str:
    """`html` with everything but the allowed tags, attributes and URLs removed."""
    return nh3.clean(
        html,
        tags=set(_TAGS),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes={"http", "https"},
        attribute_filter=_attribute_kept,
        link_rel="noopener noreferrer sponsored",
        strip_comments=True,
    ).strip()


# What publishers see and clicks may name: approved, active, and a banner only once it has an
# image (a URL, or an uploaded file: a banner may be created first and its file uploaded after).
_SHOWN = Q(approved=True, is_active=True) & ~Q(
    kind=Creative.Kind.BANNER, image_url="", image_file=""
)
CREATIVE_SHOWN = _SHOWN  # creative tests admit these only (offers/creative_test_services.py)


def creative_image_src(creative: Creative) -> str:
    """The banner's image as an absolute URL: its uploaded file (which wins over `image_url`)
    at MEDIA_URL, made absolute with TRACKING_BASE_URL when MEDIA_URL is a path; else
    `image_url`."""
    if not creative.image_file:
        return creative.image_url
    url = creative.image_file.url
    return f"{settings.TRACKING_BASE_URL}{url}" if url.startswith("/") else url


def creatives_visible_to(*, user: User) -> QuerySet[Creative]:
    """Staff: all. An advertiser: its offers'. A publisher: the approved, active creatives of
    the offers it may run (an unapproved creative is the advertiser's draft)."""
    role = user_role(user)
    if role == Role.PUBLISHER:
        if not user.publisher_id:
            return Creative.objects.none()
        return Creative.objects.filter(
            _SHOWN, offer__in=offers_runnable_by(publisher=user.publisher).values("id")
        )
    return Creative.objects.filter(offer__in=offers_visible_to(user=user).values("id"))


def creative_ids_live(*, offer_id: int) -> list[int]:
    """The ids a click's `creative` parameter may name for this offer (the link snapshot)."""
    return list(
        Creative.objects.filter(_SHOWN, offer_id=offer_id)
        .order_by("id")
        .values_list("id", flat=True)
    )


def _check(creative: Creative) -> None:
    problems = Problems()
    # Whatever the kind (a text link's stray image_url is still a URL a browser may load): the
    # request schema states this rule for every creative.
    if creative.image_url:
        check_url(
            problems, "image_url", creative.image_url, known_macros=frozenset(), required=True
        )
    if creative.kind == Creative.Kind.TEXT and not creative.text.strip():
        problems.add("text", "required", "A text link needs its text.")
    elif creative.kind == Creative.Kind.HTML:
        if len(creative.html) > MAX_HTML:
            problems.add("html", "too_long", f"At most {MAX_HTML} characters.")
        elif not creative.html:
            problems.add("html", "required", "An HTML creative needs its HTML (after sanitising).")
    problems.raise_if_any()


def creative_save(*, creative: Creative, fields: Mapping[str, Any], actor: User) -> Creative:
    """Create or change a creative. A manager's write is approved as it is; an advertiser's
    (only its own offers', which the API's scoped offer field ensures) waits for a manager."""
    role = user_role(actor)
    if role not in (Role.MANAGER, Role.ADVERTISER):
        raise ForbiddenError("forbidden", "Your role may not write creatives.")
    for name, value in fields.items():
        setattr(creative, name, value)
    if role == Role.ADVERTISER and creative.offer.advertiser_id != actor.advertiser_id:
        raise ForbiddenError("forbidden", "Only the offer's own creatives.")
    creative.html = creative_html_sanitise(creative.html) if creative.html else ""
    _check(creative)
    creative.approved = role == Role.MANAGER
    creative.approved_by = actor if role == Role.MANAGER else None
    try:
        with transaction.atomic():
            creative.save()
    except IntegrityError as exc:
        raise DomainError.for_field(
            "name", "duplicate", "This offer already has a creative of that name."
        ) from exc
    return creative


def creative_approve(*, creative: Creative, actor: User) -> Creative:
    """A manager lets publishers see (and clicks credit) an advertiser's creative."""
    if user_role(actor) != Role.MANAGER:
        raise ForbiddenError("forbidden", "Only a manager approves creatives.")
    Creative.objects.filter(id=creative.id).update(approved=True, approved_by=actor)
    creative.refresh_from_db()
    return creative


def creative_reject(*, creative: Creative, actor: User) -> Creative:
    """A manager turns down an advertiser's creative: it stays unapproved and is switched off,
    so publishers never see it; the advertiser's next edit (switching it on) asks again."""
    if user_role(actor) != Role.MANAGER:
        raise ForbiddenError("forbidden", "Only a manager rejects creatives.")
    Creative.objects.filter(id=creative.id).update(
        approved=False, approved_by=None, is_active=False
    )
    creative.refresh_from_db()
    return creative


# Banner uploads: what Pillow reads the bytes as -> (content type, file extension). SVG is never
# among them (it can carry script); neither is anything Pillow cannot open as one of these.
IMAGE_FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
MAX_SIDE = 10_000  # as creative_size_bounded allows


def _image_read(upload: UploadedFile) -> tuple[bytes, str, int, int]:
    """The upload's bytes, format and size in pixels, judged by its content (never by its name
    or the type the client claims)."""
    limit = settings.CREATIVE_IMAGE_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise DomainError.for_field("image", "too_large", f"At most {limit} bytes.")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise DomainError.for_field("image", "too_large", f"At most {limit} bytes.")
    refused = DomainError.for_field("image", "invalid_type", "A PNG, JPEG, GIF or WebP image.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(ContentFile(data), formats=list(IMAGE_FORMATS)) as image:
                image_format, (width, height) = image.format or "", image.size
                image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refused from None
    # Truncated or corrupt data: Pillow's decoders raise OSError, SyntaxError, ValueError, and
    # on some malformed headers struct.error, IndexError or others; all of them mean "not an
    # image we take", never a 500.
    except Exception:
        raise refused from None
    if image_format not in IMAGE_FORMATS:
        raise refused
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise DomainError.for_field("image", "too_large", f"At most {MAX_SIDE} pixels a side.")
    return data, image_format, width, height


def creative_image_upload(*, creative: Creative, upload: UploadedFile, actor: User) -> Creative:
    """Store a banner's image through Django's storage API under a random name, recording its
    type, size and pixel dimensions. Managers and the offer's own advertiser only; an
    advertiser's upload waits for a manager's approval again, as any write of theirs does."""
    role = user_role(actor)
    if role not in (Role.MANAGER, Role.ADVERTISER):
        raise ForbiddenError("forbidden", "Your role may not write creatives.")
    if role == Role.ADVERTISER and creative.offer.advertiser_id != actor.advertiser_id:
        raise ForbiddenError("forbidden", "Only the offer's own creatives.")
    if creative.kind != Creative.Kind.BANNER:
        raise DomainError.for_field("image", "invalid", "Only a banner takes an image.")
    data, image_format, width, height = _image_read(upload)
    content_type, extension = IMAGE_FORMATS[image_format]
    old = creative.image_file.name if creative.image_file else ""
    creative.image_file.save(f"banner.{extension}", ContentFile(data), save=False)
    creative.image_content_type = content_type
    creative.image_bytes = len(data)
    creative.width, creative.height = width, height
    creative.approved = role == Role.MANAGER
    creative.approved_by = actor if role == Role.MANAGER else None
    creative.save()
    if old and old != creative.image_file.name:
        creative.image_file.storage.delete(old)
    return creative
