"""Tracking links: one short, opaque code per (offer, publisher) pair."""

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction

from tracking.models import TrackingLink

LINK_CODE_BYTES = 9  # 72 random bits, 12 URL-safe characters


def link_code_new() -> str:
    return secrets.token_urlsafe(LINK_CODE_BYTES)


def link_get_or_create(*, offer_id: int, publisher_id: int) -> TrackingLink:
    """The pair's link, minted on first use. Safe under concurrent callers."""
    existing = TrackingLink.objects.filter(offer_id=offer_id, publisher_id=publisher_id).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return TrackingLink.objects.create(
                offer_id=offer_id, publisher_id=publisher_id, code=link_code_new()
            )
    except IntegrityError:
        return TrackingLink.objects.get(offer_id=offer_id, publisher_id=publisher_id)


def link_url(link: TrackingLink) -> str:
    return f"{settings.TRACKING_BASE_URL}/c/{link.code}"
