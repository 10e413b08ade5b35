"""Authenticating a conversion callback as its advertiser.

Two credentials, either or both:

- a secret token, as a parameter (`token`, `security_token` or `verification_token`) or in the
  `X-Affnet-Token` header (which keeps it out of URLs and access logs); sha256(token) is compared
  with sha256(secret) in constant time;
- an HMAC-SHA256 signature in `X-Affnet-Signature` over ``timestamp + "\\n" + canonical request``,
  with the unix time in `X-Affnet-Timestamp` within 300 s of ours. Two versions:

  - ``v2=<hex>``: keyed by the secret itself (its UTF-8 bytes). The secret is kept encrypted
    (offers/secret_box.py), so the server can compute it;
  - v1, ``sha256=<hex>`` or bare hex: keyed by the hex string sha256_hex(secret), from when only
    that hash was stored. Accepted until CALLBACK_SIGNATURE_V1_UNTIL (a UTC date, exclusive),
    then refused `signature_v1_retired`.

  The canonical request is ``METHOD + "\\n" + path + "\\n" + query`` where query is every
  parameter of the query string and form body except the token parameters, sorted by name then
  value, percent-encoded as application/x-www-form-urlencoded. A signed request may not repeat
  a parameter (services.py refuses it): the signature covers both values, the callback would
  read one.

  The signature is also the callback's replay key (`replay_digest`, the CallbackReplayKey row):
  the same signature twice is refused `replayed`.

Every credential sent must be valid and at least one must be sent. Then the optional IP
allowlist (CIDRs) applies. Failures return a machine-readable reason; nothing raises.
"""

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings

from tracking.callbacks.fields import TOKEN_PARAMS
from tracking.result_codes import AuthRefusal

SIGNATURE_HEADER = "X-Affnet-Signature"
TIMESTAMP_HEADER = "X-Affnet-Timestamp"
TOKEN_HEADER = "X-Affnet-Token"
SIGNATURE_TOLERANCE_SECONDS = 300


class Signature(NamedTuple):
    version: str  # "v1" or "v2"
    hex: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def canonical_request(*, method: str, path: str, params: Iterable[tuple[str, str]]) -> str:
    pairs = sorted((key, value) for key, value in params if key not in TOKEN_PARAMS)
    return f"{method.upper()}\n{path}\n{urlencode(pairs)}"


def signature_compute(*, key_hex: str, timestamp: str, canonical: str) -> str:
    """Signature v1 (hex, sent bare or as ``sha256=<hex>``); key_hex is sha256_hex(secret)."""
    message = f"{timestamp}\n{canonical}".encode()
    return hmac.new(key_hex.encode(), message, hashlib.sha256).hexdigest()


def signature_v2_compute(*, secret: str, timestamp: str, canonical: str) -> str:
    """Signature v2's hex (sent as ``v2=<hex>``), keyed by the secret itself."""
    message = f"{timestamp}\n{canonical}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_parse(header: str) -> Signature:
    value = header.strip()
    if value[:3].lower() == "v2=":
        return Signature("v2", value[3:].strip().lower())
    return Signature("v1", value.removeprefix("sha256=").strip().lower())


def replay_digest(header: str) -> str:
    """The replay key of a signature header: the same for every spelling of one signature."""
    version, sent = signature_parse(header)
    return hashlib.sha256(f"{version}={sent}".encode()).hexdigest()


def signature_v1_accepted(*, now: float) -> bool:
    until: date = settings.CALLBACK_SIGNATURE_V1_UNTIL
    return datetime.fromtimestamp(now, UTC).date() < until


def ip_allowed(*, remote_ip: str | None, allowlist: list[str]) -> bool:
    if not allowlist:
        return True
    if not remote_ip:
        return False
    try:
        address = ipaddress.ip_address(remote_ip)
    except ValueError:
        return False
    for cidr in allowlist:
        try:
            if address in ipaddress.ip_network(cidr, strict=False):
                return True
        except ValueError:
            continue
    return False


def callback_auth_check(
    *,
    secret_hash: str,
    ip_allowlist: list[str],
    digest: str,
    signature: str,
    timestamp: str,
    canonical: str,
    remote_ip: str | None,
    now: float,
    secret: str = "",
) -> AuthRefusal | None:
    """None when the caller is the advertiser, else the reason it is not.

    `secret` is the advertiser's secret ("" when only a legacy hash is stored); `secret_hash`
    is sha256_hex(secret), the v1 key. `digest` is sha256 of the token sent ("" when none): the
    endpoint never keeps raw tokens.
    """
    if not secret_hash:
        return AuthRefusal.NO_SECRET_CONFIGURED
    if not digest and not signature:
        return AuthRefusal.MISSING_AUTH
    if signature:
        if not timestamp.isdigit():
            return AuthRefusal.BAD_TIMESTAMP
        if abs(now - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
            return AuthRefusal.STALE_TIMESTAMP
        version, sent = signature_parse(signature)
        if version == "v2":
            if not secret:
                return AuthRefusal.SIGNATURE_V2_UNAVAILABLE
            expected = signature_v2_compute(secret=secret, timestamp=timestamp, canonical=canonical)
        else:
            if not signature_v1_accepted(now=now):
                return AuthRefusal.SIGNATURE_V1_RETIRED
            expected = signature_compute(
                key_hex=secret_hash, timestamp=timestamp, canonical=canonical
            )
        if not hmac.compare_digest(expected.encode(), sent.encode()):
            return AuthRefusal.BAD_SIGNATURE
    if digest and not hmac.compare_digest(secret_hash, digest):
        return AuthRefusal.BAD_TOKEN
    if not ip_allowed(remote_ip=remote_ip, allowlist=ip_allowlist):
        return AuthRefusal.IP_NOT_ALLOWED
    return None
