"""Creatives (offers/creatives.py): who sees and writes them, and the HTML sanitiser.

HTML snippets are sanitised with nh3 (the Python binding of the Rust crate ammonia) when they
are saved, and only the sanitised text is stored; the code handed to publishers
(tracking/creative_code.py) sanitises it once more, so a row written around this module (the
admin, a shell) is never handed out raw. The redirect sees a change within
CLICK_LINK_CACHE_SECONDS (the link snapshot is rebuilt from these rows).
"""

from collections.abc import Mapping
from typing import Any

import nh3
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

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


def creatives_visible_to(*, user: User) -> QuerySet[Creative]:
    """Staff: all. An advertiser: its offers'. A publisher: the approved, active creatives of
    the offers it may run (an unapproved creative is the advertiser's draft)."""
    role = user_role(user)
    if role == Role.PUBLISHER:
        if not user.publisher_id:
            return Creative.objects.none()
        return Creative.objects.filter(
            offer__in=offers_runnable_by(publisher=user.publisher).values("id"),
            approved=True,
            is_active=True,
        )
    return Creative.objects.filter(offer__in=offers_visible_to(user=user).values("id"))


def creative_ids_live(*, offer_id: int) -> list[int]:
    """The ids a click's `creative` parameter may name for this offer (the link snapshot)."""
    return list(
        Creative.objects.filter(offer_id=offer_id, approved=True, is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )


def _check(creative: Creative) -> None:
    problems = Problems()
    if creative.kind == Creative.Kind.BANNER:
        check_url(
            problems, "image_url", creative.image_url, known_macros=frozenset(), required=True
        )
    elif creative.kind == Creative.Kind.TEXT and not creative.text.strip():
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
