"""Tracking links: one short, opaque code per (offer, publisher) pair."""

import secrets

from django.db import IntegrityError, transaction

from accounts.models import Role, User
from accounts.selectors import user_role
from affiliates.models import Publisher
from core.errors import DomainError, ForbiddenError
from offers.selectors import offer_is_runnable_by
from tracking.domains import tracking_domain_for_link, tracking_domain_url
from tracking.models import TrackingDomain, TrackingLink

LINK_CODE_BYTES = 9  # 72 random bits, 12 URL-safe characters


def link_code_new() -> str:
    return secrets.token_urlsafe(LINK_CODE_BYTES)


def link_get_or_create(
    *, offer_id: int, publisher_id: int, domain: TrackingDomain | None = None
) -> TrackingLink:
    """The pair's link, minted on first use (on `domain`). Safe under concurrent callers."""
    existing = TrackingLink.objects.filter(offer_id=offer_id, publisher_id=publisher_id).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return TrackingLink.objects.create(
                offer_id=offer_id, publisher_id=publisher_id, code=link_code_new(), domain=domain
            )
    except IntegrityError:
        return TrackingLink.objects.get(offer_id=offer_id, publisher_id=publisher_id)


def _base(link: TrackingLink) -> str:
    return tracking_domain_url(link.domain if link.domain_id else None)


def link_url(link: TrackingLink) -> str:
    return f"{_base(link)}/c/{link.code}"


def link_tune_url(link: TrackingLink) -> str:
    """The same link in the TUNE (HasOffers) dialect, for publishers moving their links over."""
    return f"{_base(link)}/aff_c?offer_id={link.offer_id}&aff_id={link.publisher_id}"


def link_impression_url(link: TrackingLink) -> str:
    return f"{_base(link)}/i/{link.code}"


def link_create(
    *, user: User, offer_id: int, publisher_id: int | None = None, domain_id: int | None = None
) -> tuple[TrackingLink, bool]:
    """The link of (offer, publisher) for `user`, minted if new; (link, created).

    A publisher user gets links for its own publisher and only for offers it may run; a manager
    names the publisher. A missing offer and one the publisher may not run get the same answer,
    so the endpoint does not reveal private offers. `domain_id` chooses the tracking domain
    (the network's or the publisher's own, tracking/domains.py); naming another one moves the
    existing link there (same code: the click handler resolves a code on any allowed host).
    """
    role = user_role(user)
    if role == Role.PUBLISHER:
        if publisher_id not in (None, user.publisher_id):
            raise ForbiddenError("forbidden", "You may only create links for your own publisher.")
        publisher_id = user.publisher_id
    elif role == Role.MANAGER:
        if publisher_id is None:
            raise DomainError.for_field("publisher", "required", "Name the publisher.")
        if not Publisher.objects.filter(id=publisher_id).exists():
            raise DomainError.for_field("publisher", "does_not_exist", "No such publisher.")
    else:
        raise ForbiddenError("forbidden", "Your role may not create tracking links.")
    assert publisher_id is not None
    if not offer_is_runnable_by(publisher_id=publisher_id, offer_id=offer_id):
        raise DomainError.for_field(
            "offer", "not_runnable", "No offer with this id that this publisher may run."
        )
    domain = tracking_domain_for_link(publisher_id=publisher_id, domain_id=domain_id)
    existed = TrackingLink.objects.filter(offer_id=offer_id, publisher_id=publisher_id).exists()
    link = link_get_or_create(offer_id=offer_id, publisher_id=publisher_id, domain=domain)
    if existed and domain_id is not None and link.domain_id != domain_id:
        TrackingLink.objects.filter(id=link.id).update(domain=domain)
        link.domain = domain
    return link, not existed
