"""Reads the callback endpoint needs on every request, kept in process for a few seconds.

The endpoint is the hot path: an advertiser's auth settings are read from PostgreSQL at most
once per AUTH_CACHE_SECONDS per process, so a rotated secret or allowlist is in force within
that time on every web node. The inbox as each role may read it is here too (not hot).
"""

import time
from dataclasses import dataclass
from typing import Any

from django.db import router
from django.db.models import QuerySet

from accounts.models import Role
from accounts.selectors import user_role
from offers.models import Advertiser, Offer
from offers.secret_box import secret_decrypt
from tracking.callbacks.auth import token_digest
from tracking.callbacks.store import click_offer_read
from tracking.clicks.ids import click_id_is_valid, click_id_time
from tracking.clicks.lookup import click_find
from tracking.models import CallbackInbox, Click

AUTH_CACHE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class AdvertiserAuth:
    advertiser_id: int
    active: bool
    # The raw secret, decrypted ("" when the advertiser has only a legacy hash, or none).
    secret: str
    # sha256_hex(secret): the token check and signature v1's key.
    secret_hash: str
    ip_allowlist: list[str]


_by_offer: dict[int, tuple[float, AdvertiserAuth | None]] = {}


def advertiser_auth_for_offer(*, offer_id: int) -> AdvertiserAuth | None:
    """The auth settings of the offer's advertiser, or None when the offer does not exist."""
    now = time.monotonic()
    cached = _by_offer.get(offer_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    row = (
        Offer.objects.filter(id=offer_id)
        .values(
            "advertiser_id",
            "advertiser__status",
            "advertiser__postback_secret_encrypted",
            "advertiser__postback_secret_hash",
            "advertiser__ip_allowlist",
        )
        .first()
    )
    found = None
    if row is not None:
        secret = _secret_read(row["advertiser__postback_secret_encrypted"])
        found = AdvertiserAuth(
            advertiser_id=row["advertiser_id"],
            active=row["advertiser__status"] == Advertiser.Status.ACTIVE,
            secret=secret,
            secret_hash=(
                token_digest(secret) if secret else row["advertiser__postback_secret_hash"]
            ),
            ip_allowlist=list(row["advertiser__ip_allowlist"] or []),
        )
    if len(_by_offer) > 10_000:
        _by_offer.clear()
    _by_offer[offer_id] = (now + AUTH_CACHE_SECONDS, found)
    return found


def _secret_read(encrypted: str) -> str:
    """The raw secret; "" when none is stored. A secret no configured key decrypts raises:
    refusing every callback with a 500 is loud, answering `bad_token` would hide it."""
    return secret_decrypt(encrypted) if encrypted else ""


def click_offer_id(*, click_id: str) -> int | None:
    """The offer of a click, from PostgreSQL or the click buffer; None when not found yet.

    The common case is one indexed read of one day's partition: a click's created_at is its
    ULID's own timestamp (tracking/clicks/ids.py), so the query names it and PostgreSQL prunes.
    """
    if click_id_is_valid(click_id):
        found = _click_offer_read(click_id=click_id)
        if found is not None:
            return found
    click = click_find(click_id=click_id)
    return None if click is None else click.offer_id


def _click_offer_read(*, click_id: str) -> int | None:
    return click_offer_read(
        alias=router.db_for_read(Click), click_id=click_id, created_at=click_id_time(click_id)
    )


def callbacks_visible_to(*, user: Any) -> QuerySet[CallbackInbox]:
    """Inbox rows a user may read: staff all; an advertiser user its advertiser's (those the
    door or attribution tied to it, refused ones included, so `unknown_goal`, `bad_token` or
    `pixel_domain_not_allowed` can be debugged); publishers none."""
    role = user_role(user)
    rows = CallbackInbox.objects.select_related("conversion")
    if role in (Role.MANAGER, Role.FINANCE):
        return rows
    if role == Role.ADVERTISER and user.advertiser_id is not None:
        return rows.filter(advertiser_id=user.advertiser_id)
    return rows.none()
