"""Receiving a conversion callback: validate, authenticate, store in the inbox. Nothing else.

Whatever happens next (finding the click, checks, money) is attribution's, in a worker. A callback
answered 2xx is in the inbox, committed; one answered 4xx wrote nothing, except an auth failure,
which is kept as a `rejected_auth` row with its reason so the advertiser can debug.

While PostgreSQL cannot be reached, a callback is appended to the Redis spool instead (spool.py)
and answered 2xx with `spooled: true`: durable, and drained into the inbox once PostgreSQL is
back (drain.py). Its credentials are checked at the door when this process has the advertiser's
settings fresh in memory (selectors.advertiser_auth_for_offer), else the row is `auth_deferred`
and attribution checks them against the advertiser's settings when it takes the row, as for a
callback that arrives before its click. With Redis down too, the answer is 503: nothing stored.
"""

import hmac
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import DatabaseError, connections, router
from django.utils import timezone

from core.errors import DomainError, ForbiddenError
from core.metrics import metric_incr
from tracking.callbacks.auth import (
    SIGNATURE_HEADER,
    SIGNATURE_TOLERANCE_SECONDS,
    TIMESTAMP_HEADER,
    TOKEN_HEADER,
    callback_auth_check,
    canonical_request,
    replay_digest,
    token_digest,
)
from tracking.callbacks.fields import (
    PIXEL_CLICK_SOURCE,
    PIXEL_ORIGIN_HEADERS,
    TOKEN_PARAMS,
    CallbackShapeError,
    callback_fields,
    url_origin,
)
from tracking.callbacks.limits import callback_admit, callback_params_bound, pixel_admit
from tracking.callbacks.selectors import advertiser_auth_for_offer, click_offer_id
from tracking.callbacks.spool import spool_append
from tracking.callbacks.store import ReplayKey, database_unreachable, inbox_insert
from tracking.clicks.ids import click_id_is_test, click_id_new
from tracking.models import CallbackInbox
from tracking.result_codes import AuthRefusal
from tracking.tasks.attribution import attribution_kick

logger = logging.getLogger(__name__)

# Request headers worth keeping with the raw callback (others are noise or secrets).
KEPT_HEADERS = ("User-Agent", "Content-Type", SIGNATURE_HEADER, TIMESTAMP_HEADER)


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    dialect: str
    method: str
    path: str
    params: Mapping[str, str]
    # Every (name, value) pair of query string and form body, for the signed canonical form.
    pairs: list[tuple[str, str]]
    headers: Mapping[str, str]
    remote_ip: str | None
    # Set only by the sandbox's "send a test conversion" (tracking/sandbox/services.py) for an
    # advertiser it cannot sign for, never from a request: a test click's callback, kept with
    # SENT_BY_HEADER "network" instead of the advertiser's credentials.
    sent_by_network: bool = False


SENT_BY_HEADER = "X-Affnet-Sent-By"


def _kept(params: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in params.items() if key not in TOKEN_PARAMS}


def callback_receive(*, request: CallbackRequest) -> CallbackInbox:
    """Store one callback. Raises DomainError (400) on bad shape, ForbiddenError (403) on auth,
    RateLimitedError (429) over a rate limit (tracking/callbacks/limits.py)."""
    callback_params_bound(params=request.params)
    try:
        fields = callback_fields(dialect=request.dialect, params=request.params)
    except CallbackShapeError as exc:
        raise DomainError.for_field(exc.field, exc.code, exc.message) from exc

    headers = {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}
    signature = request.headers.get(SIGNATURE_HEADER, "")
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    if signature:
        _no_repeated_parameter(request.pairs)
    digest = _token_digest(param=fields.token, header=request.headers.get(TOKEN_HEADER, ""))
    replay_key = ReplayKey(replay_digest(signature), None) if signature else None

    reachable = True
    try:
        offer_id = fields.offer_id
        if offer_id is None:
            offer_id = click_offer_id(click_id=fields.click_id)
        auth = advertiser_auth_for_offer(offer_id=offer_id) if offer_id is not None else None
    except DatabaseError as exc:
        if not _spool_may_take(exc):
            raise
        # PostgreSQL is down and this process has no fresh copy of the advertiser's settings:
        # the row goes to the spool with its credentials kept for attribution to check.
        reachable, auth = False, None
    if reachable and fields.offer_id is not None and auth is None:
        raise DomainError.for_field("offer_id", "offer_unknown", "No such offer.")

    row = CallbackInbox(
        dialect=request.dialect,
        method=request.method,
        path=request.path[:500],
        params=_kept(request.params),
        headers=headers,
        remote_ip=request.remote_ip,
        click_id=fields.click_id,
    )
    if auth is None:
        # The click is not findable yet (still travelling from the redirect): keep what is
        # needed to check the credentials later, never the token itself.
        row.auth_deferred = True
        canonical = canonical_request(
            method=request.method, path=request.path, params=request.pairs
        )
        row.headers = {**headers, "_token_sha256": digest, "_canonical": canonical}
        if not reachable:
            _door_precheck(digest=digest, signature=signature, timestamp=timestamp)
        callback_admit(row=row, outage=not reachable)
        return _store(row=row, replay_key=replay_key, reachable=reachable)

    row.advertiser_id = auth.advertiser_id
    if request.sent_by_network:
        if not click_id_is_test(fields.click_id):
            raise ForbiddenError(
                "forbidden", "Only a test click's callback is sent by the network."
            )
        row.headers = {**headers, SENT_BY_HEADER: "network"}
        callback_admit(row=row)
        return _store(row=row, replay_key=None)
    reason = AuthRefusal.ADVERTISER_INACTIVE if not auth.active else None
    reason = reason or callback_auth_check(
        secret=auth.secret,
        secret_hash=auth.secret_hash,
        ip_allowlist=auth.ip_allowlist,
        digest=digest,
        signature=signature,
        timestamp=timestamp,
        # Only a signature is checked against the canonical request: without one, skip it.
        canonical=(
            canonical_request(method=request.method, path=request.path, params=request.pairs)
            if signature
            else ""
        ),
        remote_ip=request.remote_ip,
        now=time.time(),
    )
    if reason is not None:
        row.state = CallbackInbox.State.REJECTED_AUTH
        row.result = reason
        callback_admit(row=row)
        try:
            inbox_insert(row=row)
        except DatabaseError as exc:
            # Refused either way; with PostgreSQL down the refusal is answered, not kept.
            if not database_unreachable(exc):
                raise
        raise ForbiddenError(reason, _AUTH_MESSAGES.get(reason, "Authentication failed."))
    if replay_key is not None:
        replay_key = replay_key._replace(advertiser_id=auth.advertiser_id)
    callback_admit(row=row)
    return _store(row=row, replay_key=replay_key)


def _token_digest(*, param: str, header: str) -> str:
    """sha256 of the token sent as a parameter or in X-Affnet-Token ("" when none)."""
    if param and header and not hmac.compare_digest(param.encode(), header.encode()):
        raise ForbiddenError(AuthRefusal.TOKEN_MISMATCH, _AUTH_MESSAGES[AuthRefusal.TOKEN_MISMATCH])
    token = param or header
    return token_digest(token) if token else ""


def _no_repeated_parameter(pairs: list[tuple[str, str]]) -> None:
    """A signed request names each parameter once: the signature covers every value, while the
    callback would read only one of them."""
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            raise DomainError.for_field(
                name, "repeated_parameter", f"A signed callback may send {name!r} only once."
            )
        seen.add(name)


def _replayed() -> DomainError:
    return DomainError(
        AuthRefusal.REPLAYED,
        "This signature was used before: the first request was stored. Sign each callback"
        " anew, with a fresh X-Affnet-Timestamp.",
        status_code=409,
    )


def _store(
    *, row: CallbackInbox, replay_key: ReplayKey | None, reachable: bool = True
) -> CallbackInbox:
    """Store the row, and its signature as a replay key in the same transaction (a signature
    seen before stores nothing and is refused); in the spool when PostgreSQL is down."""
    if not reachable:
        return _spool(row=row, replay_key=replay_key)
    try:
        stored = inbox_insert(row=row, replay_key=replay_key)
    except DatabaseError as exc:
        if not _spool_may_take(exc):
            raise
        return _spool(row=row, replay_key=replay_key)
    if not stored:
        raise _replayed()
    attribution_kick()
    return row


def _spool_may_take(exc: DatabaseError) -> bool:
    """PostgreSQL is unreachable and the spool exists (Redis configured, the inbox on
    PostgreSQL); otherwise the error stays what it was."""
    if not database_unreachable(exc):
        return False
    alias = router.db_for_write(CallbackInbox)
    return bool(settings.REDIS_URL) and connections[alias].vendor == "postgresql"


def _door_precheck(*, digest: str, signature: str, timestamp: str) -> None:
    """What can be refused without the advertiser's settings, before a deferred callback takes
    room in the spool: no credential at all, or a signature whose timestamp is already bad."""
    reason = None
    if not digest and not signature:
        reason = AuthRefusal.MISSING_AUTH
    elif signature and not timestamp.isdigit():
        reason = AuthRefusal.BAD_TIMESTAMP
    elif signature and abs(time.time() - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        reason = AuthRefusal.STALE_TIMESTAMP
    if reason is not None:
        raise ForbiddenError(reason, _AUTH_MESSAGES[reason])


def _spool(*, row: CallbackInbox, replay_key: ReplayKey | None) -> CallbackInbox:
    """Append the row to the Redis spool: returned without an id, with its spool_id. Raises the
    503 DomainError when Redis cannot take it either (nothing accepted, nothing lost)."""
    row.spool_id = click_id_new()
    row.received_at = timezone.now()
    try:
        fresh = spool_append(
            record=spool_record(row=row, replay_key=replay_key),
            replay_digest=replay_key.digest if replay_key is not None else None,
        )
    except redis.RedisError as exc:
        logger.error("callback refused: PostgreSQL and the spool are both unreachable: %s", exc)
        raise DomainError(
            "temporarily_unavailable",
            "The callback could not be stored: send it again in a minute.",
            status_code=503,
        ) from exc
    if not fresh:
        raise _replayed()
    logger.warning("PostgreSQL unreachable: callback spooled", extra={"spool_id": row.spool_id})
    metric_incr("callbacks_spooled", dialect=row.dialect)
    return row


def spool_record(*, row: CallbackInbox, replay_key: ReplayKey | None) -> dict:
    """A spooled callback as the drain reads it back (drain.py: spool_record_row)."""
    return {
        "spool_id": row.spool_id,
        "received_at": row.received_at.isoformat(),
        "dialect": row.dialect,
        "method": row.method,
        "path": row.path,
        "params": row.params,
        "headers": row.headers,
        "remote_ip": row.remote_ip,
        "advertiser_id": row.advertiser_id,
        "click_id": row.click_id,
        "auth_deferred": row.auth_deferred,
        "replay": None if replay_key is None else list(replay_key),
    }


def pixel_receive(
    *, goal_ref: str, click_id: str, request: CallbackRequest
) -> CallbackInbox | None:
    """Store a pixel callback for the click in the visitor's cookie (else the one its
    `click_id` parameter names); None when there is none usable.

    A pixel cannot carry a secret (it runs in the visitor's browser), so nothing it says is
    trusted: attribution counts it only when its goal enables pixels and its Origin or Referer
    is on the goal's pixel domains, and then only as a conversion held for review (`pixel`),
    whatever amount it names. The Referer is kept without its path and query.
    """
    if not pixel_admit(params=request.params, remote_ip=request.remote_ip):
        return None
    source = "cookie" if click_id else "parameter"
    params = {**_kept(request.params), "goal": goal_ref}
    if click_id:
        params["click_id"] = click_id
    try:
        fields = callback_fields(dialect="pixel", params=params)
    except CallbackShapeError:
        return None
    headers = {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}
    for name in PIXEL_ORIGIN_HEADERS:
        origin = url_origin(request.headers.get(name, ""))
        if origin:
            headers[name] = origin
    headers[PIXEL_CLICK_SOURCE] = source
    row = CallbackInbox(
        dialect="pixel",
        method=request.method,
        path=request.path[:500],
        params=params,
        headers=headers,
        remote_ip=request.remote_ip,
        click_id=fields.click_id,
    )
    # PostgreSQL down: spooled. Redis down too: the 503 DomainError, and still the GIF.
    return _store(row=row, replay_key=None)


_AUTH_MESSAGES: dict[str, str] = {
    AuthRefusal.NO_SECRET_CONFIGURED: "The advertiser has no postback secret: rotate one first.",
    AuthRefusal.MISSING_AUTH: (
        "Send the token (parameter or X-Affnet-Token header) or an X-Affnet-Signature."
    ),
    AuthRefusal.BAD_TOKEN: "The token does not match the advertiser's postback secret.",
    AuthRefusal.BAD_SIGNATURE: "The X-Affnet-Signature does not match.",
    AuthRefusal.SIGNATURE_V1_RETIRED: (
        "Signature v1 (sha256=...) is no longer accepted: sign with v2=...,"
        " keyed by the postback secret itself."
    ),
    AuthRefusal.SIGNATURE_V2_UNAVAILABLE: (
        "Signature v2 needs a postback secret minted after secrets were"
        " encrypted: rotate the secret first."
    ),
    AuthRefusal.TOKEN_MISMATCH: "The token parameter and the X-Affnet-Token header differ.",
    AuthRefusal.BAD_TIMESTAMP: "X-Affnet-Timestamp must be unix seconds.",
    AuthRefusal.STALE_TIMESTAMP: "X-Affnet-Timestamp is more than 300 seconds away from our clock.",
    AuthRefusal.IP_NOT_ALLOWED: "The caller's address is not in the advertiser's allowlist.",
    AuthRefusal.ADVERTISER_INACTIVE: "The advertiser is inactive.",
}
