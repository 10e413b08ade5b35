"""Authenticating a conversion callback as its advertiser.

Two credentials, either or both:

- a secret token parameter (`token`, `security_token` or `verification_token`): we keep only
  sha256(secret) on the advertiser (`postback_secret_hash`) and compare sha256(token) to it in
  constant time;
- an HMAC-SHA256 signature in `X-Affnet-Signature` (hex, optionally prefixed `sha256=`) over
  ``timestamp + "\\n" + canonical request``, with the unix time in `X-Affnet-Timestamp` within
  300 s of ours. The HMAC key is the hex string sha256_hex(secret) (the advertiser computes it
  from the secret it was shown once), because that is all we store. The canonical request is
  ``METHOD + "\\n" + path + "\\n" + query`` where query is every parameter of the query string
  and form body except the token parameters, sorted by name then value, percent-encoded as
  application/x-www-form-urlencoded.

Every credential sent must be valid and at least one must be sent. Then the optional IP
allowlist (CIDRs) applies. Failures return a machine-readable reason; nothing raises.
"""

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable
from urllib.parse import urlencode

from tracking.callbacks.fields import TOKEN_PARAMS

SIGNATURE_HEADER = "X-Affnet-Signature"
TIMESTAMP_HEADER = "X-Affnet-Timestamp"
SIGNATURE_TOLERANCE_SECONDS = 300


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def canonical_request(*, method: str, path: str, params: Iterable[tuple[str, str]]) -> str:
    pairs = sorted((key, value) for key, value in params if key not in TOKEN_PARAMS)
    return f"{method.upper()}\n{path}\n{urlencode(pairs)}"


def signature_compute(*, key_hex: str, timestamp: str, canonical: str) -> str:
    """What an advertiser sends in X-Affnet-Signature; key_hex is sha256_hex(its secret)."""
    message = f"{timestamp}\n{canonical}".encode()
    return hmac.new(key_hex.encode(), message, hashlib.sha256).hexdigest()


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
) -> str | None:
    """None when the caller is the advertiser, else the reason it is not.

    `digest` is sha256 of the token sent ("" when none): the endpoint never keeps raw tokens.
    """
    if not secret_hash:
        return "no_secret_configured"
    if not digest and not signature:
        return "missing_auth"
    if signature:
        if not timestamp.isdigit():
            return "bad_timestamp"
        if abs(now - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
            return "stale_timestamp"
        expected = signature_compute(key_hex=secret_hash, timestamp=timestamp, canonical=canonical)
        sent = signature.removeprefix("sha256=").strip().lower()
        if not hmac.compare_digest(expected, sent):
            return "bad_signature"
    if digest and not hmac.compare_digest(secret_hash, digest):
        return "bad_token"
    if not ip_allowed(remote_ip=remote_ip, allowlist=ip_allowlist):
        return "ip_not_allowed"
    return None
