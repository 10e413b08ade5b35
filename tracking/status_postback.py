"""The status postback: an advertiser's server changes one of its conversions by its own
transaction id (approve, reject, reverse with a reason), authenticated as a conversion callback
is (tracking/callbacks/auth.py): the postback secret as a token (`token` parameter or the
X-Affnet-Token header) or an X-Affnet-Signature over the canonical request, within the
advertiser's IP allowlist. An advertiser user's API key works too (then that user acts).

The decision itself is monthly validation's, one row at a time
(tracking.validation.conversion_status_update), so the rules live in one place.
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass

from core.errors import ForbiddenError
from offers.models import Advertiser
from offers.secret_box import secret_decrypt
from tracking.callbacks.auth import callback_auth_check, canonical_request, token_digest

AUTH_MESSAGES = {
    "no_secret_configured": "The advertiser has no postback secret: rotate one first.",
    "missing_auth": "Send the token (parameter or X-Affnet-Token header) or an X-Affnet-Signature.",
    "bad_token": "The token does not match the advertiser's postback secret.",
    "token_mismatch": "The token parameter and the X-Affnet-Token header differ.",
    "bad_signature": "The X-Affnet-Signature does not match.",
    "signature_v1_retired": "Signature v1 is no longer accepted: sign with v2=..., keyed by the "
    "postback secret itself.",
    "signature_v2_unavailable": "Signature v2 needs a postback secret minted after secrets were "
    "encrypted: rotate the secret first.",
    "bad_timestamp": "X-Affnet-Timestamp must be unix seconds.",
    "stale_timestamp": "X-Affnet-Timestamp is more than 300 seconds away from our clock.",
    "ip_not_allowed": "The caller's address is not in the advertiser's allowlist.",
    "advertiser_inactive": "The advertiser is inactive.",
}


@dataclass(frozen=True)
class AdvertiserServer:
    """The acting party of a status postback signed with the postback secret: the advertiser's
    integration, in the advertiser capacity of the money policy, and no person (history rows
    and ledger entries name no user; the history's reason says it came by status postback)."""

    advertiser_id: int
    pk: None = None
    role: str = "advertiser"
    is_active: bool = True
    is_authenticated: bool = True
    is_superuser: bool = False
    is_staff: bool = False
    is_manager: bool = False
    publisher_id: None = None

    def get_username(self) -> str:
        return f"advertiser {self.advertiser_id} (status postback)"


def status_postback_authenticate(
    *,
    advertiser_id: int,
    method: str,
    path: str,
    pairs: Iterable[tuple[str, str]],
    token: str,
    signature: str,
    timestamp: str,
    remote_ip: str | None,
) -> AdvertiserServer:
    """The advertiser's server, or ForbiddenError (403) naming why not; an unknown advertiser
    is refused as a bad credential would be (NotFoundError would tell ids apart)."""
    row = (
        Advertiser.objects.filter(pk=advertiser_id)
        .values("status", "postback_secret_encrypted", "postback_secret_hash", "ip_allowlist")
        .first()
    )
    if row is None:
        raise ForbiddenError("bad_token", AUTH_MESSAGES["bad_token"])
    secret = (
        secret_decrypt(row["postback_secret_encrypted"]) if row["postback_secret_encrypted"] else ""
    )
    reason = callback_auth_check(
        secret=secret,
        secret_hash=token_digest(secret) if secret else row["postback_secret_hash"],
        ip_allowlist=list(row["ip_allowlist"] or []),
        digest=token_digest(token) if token else "",
        signature=signature,
        timestamp=timestamp,
        canonical=canonical_request(method=method, path=path, params=pairs) if signature else "",
        remote_ip=remote_ip,
        now=time.time(),
    )
    if reason is None and row["status"] != Advertiser.Status.ACTIVE:
        reason = "advertiser_inactive"  # said only to who holds the secret
    if reason is not None:
        raise ForbiddenError(str(reason), AUTH_MESSAGES.get(str(reason), "Authentication failed."))
    return AdvertiserServer(advertiser_id=advertiser_id)
