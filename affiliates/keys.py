"""API key minting and lookup. The full key is returned once and never stored."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from affiliates.models import ApiKey

KEY_PREFIX_LENGTH = 8
PREFIX_ATTEMPTS = 5


def secret_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class MintedKey:
    api_key: ApiKey
    raw_key: str


def api_key_create(*, user, name: str = "") -> MintedKey:
    # The prefix (32 bits, unique) finds the row; on the rare collision, draw again.
    attempts_left = PREFIX_ATTEMPTS
    while True:
        prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
        raw_key = f"ak_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    user=user, name=name, prefix=prefix, secret_hash=secret_hash(raw_key)
                )
            return MintedKey(api_key=api_key, raw_key=raw_key)
        except IntegrityError:
            attempts_left -= 1
            if not attempts_left:
                raise


def api_key_find(*, raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, or None. Compares hashes in constant time."""
    # The secret is URL-safe base64 and may itself contain "_": split twice only.
    parts = raw_key.split("_", 2)
    if len(parts) < 3 or parts[0] != "ak":
        return None
    # The prefix is unique, so no ORDER BY: first()'s (the model's ordering) compiled on every
    # API request, a tenth of a small report's CPU in a profile (docs/performance.md).
    found = ApiKey.objects.select_related("user").filter(prefix=parts[1], revoked_at__isnull=True)
    api_key = next(iter(found.order_by()[:1]), None)
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, secret_hash(raw_key)):
        return None
    return api_key


def api_key_revoke(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
