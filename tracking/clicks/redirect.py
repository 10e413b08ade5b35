"""The click redirect: resolve, decide, mint, make durable, answer 302.

Works on a WSGI environ, so the lean handler (wsgi.py, production) and the Django views (urls.py,
the embedded mode and tests) run the very same code. Nothing here waits for PostgreSQL in
production: the link comes from the cache (resolve.py) and the click goes to the Redis stream
(buffer.py) in one round trip. The embedded mode (no REDIS_URL) writes the row directly, and so
does production when Redis cannot take the click, so a redirected click is always recorded.
"""

import base64
import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote_to_bytes

import redis
from django.conf import settings
from django.db import DatabaseError

from tracking.caps import cap_flag_key, cap_period_start
from tracking.clicks import buffer, impressions
from tracking.clicks.creative_tests import creative_test_note
from tracking.clicks.device import device_from_user_agent
from tracking.clicks.geo import client_country, client_ip
from tracking.clicks.ids import click_id_new, click_id_test_new
from tracking.clicks.locations import deep_link_allowed, location_fill, network_fallback
from tracking.clicks.regions import client_region
from tracking.clicks.resolve import (
    LinkSnapshot,
    LinkUnavailable,
    link_key_for_code,
    link_key_for_pair,
    link_key_for_smart,
    link_resolve,
    url_normalised,
)
from tracking.clicks.smart import SMART_LINK_OFF, smart_pick
from tracking.clicks.store import click_write_direct
from tracking.clicks.targeting import audience_reason, region_reason, schedule_reason
from tracking.clicks.variants import variant_pick, visitor_key
from tracking.models import Click, SandboxTraceStep

logger = logging.getLogger(__name__)

MAX_FIELD = 255
MAX_PARAMS = 64
MAX_TEXT = 1000
MAX_DEEP_LINK = 2000
SUB_PARAMS = ("sub1", "sub2", "sub3", "sub4", "sub5")
TUNE_SUB_PARAMS = ("aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5")
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NOT_FOUND_HTML = (
    b"<!doctype html><title>Link not found</title><h1>Link not found</h1>"
    b"<p>This tracking link does not exist.</p>"
)
UNAVAILABLE_HTML = (
    b"<!doctype html><title>Offer unavailable</title><h1>Offer unavailable</h1>"
    b"<p>This offer is not available right now.</p>"
)
BUSY_HTML = (
    b"<!doctype html><title>Try again</title><h1>Temporarily unavailable</h1>"
    b"<p>Please try again in a moment.</p>"
)
NO_STORE = ("Cache-Control", "no-store")
HTML = ("Content-Type", "text/html; charset=utf-8")


@dataclass(frozen=True)
class ClickResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""


def not_found() -> ClickResponse:
    return ClickResponse(404, [HTML, NO_STORE], NOT_FOUND_HTML)


def unavailable_page() -> ClickResponse:
    return ClickResponse(200, [HTML, NO_STORE], UNAVAILABLE_HTML)


def busy() -> ClickResponse:
    return ClickResponse(503, [HTML, NO_STORE, ("Retry-After", "5")], BUSY_HTML)


def _query(environ: Mapping[str, str]) -> dict[str, str]:
    """The query string's parameters; the first value of each name wins, so a name given twice
    cannot smuggle in a second value. A malformed value (see `_text`) reads as "".
    (parse_qs, without its cost on the hot path.)"""
    return _query_read(environ)[0]


def _query_read(environ: Mapping[str, str]) -> tuple[dict[str, str], set[str]]:
    """The parameters, and the names whose (first) value was malformed."""
    raw = environ.get("QUERY_STRING", "")
    found: dict[str, str] = {}
    malformed: set[str] = set()
    if not raw:
        return found, malformed
    for part in raw.split("&", MAX_PARAMS)[:MAX_PARAMS]:
        name, _, value = part.partition("=")
        name = _text(name) or ""
        if not name or name in found:
            continue
        text = _text(value)
        if text is None:
            malformed.add(name)
        found[name] = text or ""
    return found, malformed


def _text(raw: str) -> str | None:
    """A query value as text, or None when it is malformed: percent-escapes (or raw bytes)
    that are not UTF-8, such as a lone surrogate's, or a NUL, which no database column keeps.

    The environ holds the raw bytes as latin-1 (PEP 3333)."""
    if raw.isascii() and "%" not in raw and "+" not in raw:
        text = raw
    else:
        try:
            text = unquote_to_bytes(raw.replace("+", " ").encode("latin-1")).decode()
        except UnicodeError:
            return None
    return None if "\x00" in text else text


def _kept(query: dict[str, str], malformed: set[str], name: str, bad: list[str], flag: str) -> str:
    """The value of `name` to keep, or "" with `flag` (the Click column it would have filled)
    added to `bad` when it is malformed or over-long."""
    value = query.get(name, "")
    if name in malformed or len(value) > MAX_FIELD:
        bad.append(flag)
        return ""
    return value


def _creative(
    query: dict[str, str], malformed: set[str], snapshot: LinkSnapshot, bad: list[str]
) -> int | None:
    """The creative the click names, when it is one of the offer's live creatives; another
    value is dropped and flagged (`creative` in bad_params), never a reason to strand the
    visitor. Checked against the snapshot: no database read."""
    value = query.get("creative", "")
    if not value and "creative" not in malformed:
        return None
    if (
        value.isascii()
        and value.isdigit()
        and len(value) <= 18
        and int(value) in snapshot.creatives
    ):
        return int(value)
    bad.append("creative")
    return None


def _smart_choose(
    *,
    smart: LinkSnapshot,
    visitor: str,
    country: str,
    region: str,
    device: str,
    user_agent: str,
    accept_language: str,
) -> tuple[LinkSnapshot, str, str]:
    """The chosen offer's snapshot and "" (tracking/clicks/smart.py), or, when no offer is
    eligible (or the smart link is switched off), the smart link's own snapshot (its fallback
    URL, its first offer's id) and the reason no_eligible_offer; third, the decision as the
    click keeps it (SmartChoice.text: the rule, how, and why each candidate was ineligible)."""

    def reason_of(candidate: dict) -> str:
        return click_reason(
            snapshot=LinkSnapshot(**candidate),
            country=country,
            region=region,
            device=device,
            user_agent=user_agent,
            accept_language=accept_language,
        )

    if not smart.offer_active:
        return smart, Click.Reason.NO_ELIGIBLE_OFFER, f"{smart.smart_rule}:{SMART_LINK_OFF}"
    choice = smart_pick(
        candidates=smart.smart, rule=smart.smart_rule, visitor=visitor, reason_of=reason_of
    )
    if choice.chosen is None:
        return smart, Click.Reason.NO_ELIGIBLE_OFFER, choice.text()
    return LinkSnapshot(**choice.chosen), Click.Reason.NONE, choice.text()


def _link_key(kind: str, code: str, query: Mapping[str, str]) -> str | None:
    if kind in ("c", "i"):
        return link_key_for_code(code)
    if kind == "s":
        return link_key_for_smart(code)
    return link_key_for_pair(query.get("offer_id", ""), query.get("aff_id", ""))


def _resolve(
    kind: str, code: str, query: Mapping[str, str], *, cached_only: bool = False
) -> LinkSnapshot | None:
    key = _link_key(kind, code, query)
    return link_resolve(key=key, cached_only=cached_only) if key else None


@dataclass(frozen=True)
class PendingClick:
    """A decided click, waiting to be made durable before its 302 goes out."""

    snapshot: LinkSnapshot
    record: dict
    repeat_key: str
    cap_keys: list[str]
    values: dict[str, str]
    deep_link: str
    # The landing variant's URL picked for this visitor; "" for the offer's landing URL.
    landing_url: str = ""


def click_handle(*, environ: Mapping[str, str], kind: str, code: str = "") -> ClickResponse:
    """Answer one click. `kind` is "c" (/c/<code>), "s" (/s/<code>, a smart link) or "aff_c"
    (TUNE dialect)."""
    pending = click_prepare(environ=environ, kind=kind, code=code)
    if isinstance(pending, ClickResponse):
        return pending
    try:
        capped = _record(
            record=pending.record, repeat_key=pending.repeat_key, cap_keys=pending.cap_keys
        )
    except DatabaseError:
        logger.exception("click %s could not be recorded", pending.record["id"])
        return busy()
    response = click_finish(pending=pending, capped=capped)
    if pending.snapshot.test:
        _sandbox_redirect_record(pending=pending, capped=capped, response=response, code=code)
    return response


def click_prepare(
    *, environ: Mapping[str, str], kind: str, code: str = "", cached_only: bool = False
) -> "PendingClick | ClickResponse":
    """Resolve and decide; mint the id. Everything but the durable append and the answer.

    `cached_only` (the async handler): raise LinkNotCached rather than wait on Redis or
    PostgreSQL for a snapshot; the caller then runs this again in a thread.
    """
    query, malformed = _query_read(environ)
    try:
        snapshot = _resolve(kind, code, query, cached_only=cached_only)
    except LinkUnavailable:
        logger.error("link %r unresolvable: PostgreSQL down and no cached snapshot", code)
        return busy()
    if snapshot is None:
        return not_found()

    # A malformed sub id never strands the visitor: it is dropped, and the click says so.
    bad: list[str] = []
    names = SUB_PARAMS if kind == "c" else TUNE_SUB_PARAMS
    subs = [
        _kept(query, malformed, name, bad, f"sub{index}")
        for index, name in enumerate(names, start=1)
    ]
    source = _kept(query, malformed, "source", bad, "source")
    deep_link = query.get("url", "")
    if "url" in malformed or len(deep_link) > MAX_DEEP_LINK:
        bad.append("url")
        deep_link = ""
    ip = client_ip(environ)
    user_agent = environ.get("HTTP_USER_AGENT", "")[:MAX_TEXT]
    country = client_country(environ, ip)
    device = device_from_user_agent(user_agent)
    accept_language = environ.get("HTTP_ACCEPT_LANGUAGE", "")
    region = client_region(ip=ip, country=country)
    smart_link_id = snapshot.smart_link_id
    smart_choice = ""
    if smart_link_id is not None:
        snapshot, reason, smart_choice = _smart_choose(
            smart=snapshot,
            visitor=f"{ip}|{user_agent}|{smart_link_id}",
            country=country,
            region=region,
            device=device,
            user_agent=user_agent,
            accept_language=accept_language,
        )
    else:
        reason = click_reason(
            snapshot=snapshot,
            country=country,
            region=region,
            device=device,
            user_agent=user_agent,
            accept_language=accept_language,
        )
    click_id = click_id_test_new() if snapshot.test else click_id_new()

    cap_keys = []
    if not reason and snapshot.caps:
        now = datetime.now(UTC)
        cap_keys = [
            cap_flag_key(
                cap_id=cap_id,
                period_start=cap_period_start(period=period, now=now),
                # A snapshot cached before limits named flags has none (for a few seconds).
                limit=limit[0] if limit else None,
            )
            for cap_id, period, *limit in snapshot.caps
        ]
    record = {
        "id": click_id,
        "o": snapshot.offer_id,
        "p": snapshot.publisher_id,
        "l": snapshot.link_id,
        "ip": ip,
        "ua": user_agent,
        "r": environ.get("HTTP_REFERER", "")[:MAX_TEXT],
        "cc": country,
        **({"rg": region} if region else {}),
        "dv": device,
        "s": subs,
        "src": source,
        "fr": reason,
    }
    if smart_link_id is not None:
        record["sl"] = smart_link_id
        record["sx"] = smart_choice
    creative = _creative(query, malformed, snapshot, bad)
    if creative is not None:
        record["cv"] = creative
    elif "ct" in query or "ct" in malformed:  # a creative test's rotating code
        creative_test_note(
            query=query,
            malformed=malformed,
            tests=snapshot.creative_tests,
            ip=ip or "",
            user_agent=user_agent,
            record=record,
            bad=bad,
        )
    if bad:
        record["bp"] = ",".join(bad)
    deep_link = url_normalised(deep_link)
    variant = None
    if (
        snapshot.variants
        and not reason
        and not (
            deep_link
            and snapshot.deep_links
            and deep_link_allowed(deep_link, allowed_hosts=snapshot.deep_hosts)
        )
    ):
        variant = variant_pick(
            variants=snapshot.variants,
            key=visitor_key(ip=ip or "", user_agent=user_agent, offer_id=snapshot.offer_id),
        )
        if variant is not None:
            record["lv"] = variant[0]
    repeat_key = hashlib.blake2b(
        f"{ip}|{user_agent}|{snapshot.offer_id}|{snapshot.publisher_id}".encode(), digest_size=16
    ).hexdigest()
    values = {
        "click_id": click_id,
        "offer_id": str(snapshot.offer_id),
        "affiliate_id": str(snapshot.publisher_id),
        "sub1": subs[0],
        "sub2": subs[1],
        "sub3": subs[2],
        "sub4": subs[3],
        "sub5": subs[4],
        "source": source,
        "country": country,
        "device": device,
    }
    return PendingClick(
        snapshot=snapshot,
        record=record,
        repeat_key=repeat_key,
        cap_keys=cap_keys,
        values=values,
        # Percent-encoded as a configured URL is, so the Location header is plain ASCII.
        deep_link=deep_link,
        landing_url=variant[2] if variant is not None else "",
    )


def click_finish(*, pending: PendingClick, capped: bool) -> ClickResponse:
    """The 302, once the click is durable. `capped`: a cap flag was found set."""
    reason = pending.record["fr"]
    if capped and not reason:
        reason = pending.record["fr"] = Click.Reason.CAP_REACHED
    location = click_location(
        snapshot=pending.snapshot,
        reason=reason,
        values=pending.values,
        deep_link=pending.deep_link,
        landing_url=pending.landing_url,
    )
    click_id = pending.record["id"]
    return ClickResponse(
        302, [("Location", location), NO_STORE, ("Set-Cookie", _cookie(click_id))], b""
    )


def click_reason(
    *,
    snapshot: LinkSnapshot,
    country: str,
    device: str,
    user_agent: str = "",
    accept_language: str = "",
    now: float | None = None,
    region: str = "",
) -> str:
    """Why this visitor cannot be sent to the offer (empty: they can). Caps are checked later,
    with the durable append, in the same Redis round trip."""
    if not snapshot.offer_active:
        return Click.Reason.OFFER_INACTIVE
    if not snapshot.publisher_active:
        return Click.Reason.PUBLISHER_INACTIVE
    if not snapshot.allowed:
        return Click.Reason.NOT_ALLOWED
    if snapshot.hold_reason:
        return snapshot.hold_reason
    if snapshot.starts_at is not None or snapshot.ends_at is not None or snapshot.hours:
        reason = schedule_reason(
            now=time.time() if now is None else now,
            starts_at=snapshot.starts_at,
            ends_at=snapshot.ends_at,
            time_zone=snapshot.time_zone,
            hours=snapshot.hours,
        )
        if reason:
            return reason
    if snapshot.countries and country not in snapshot.countries:
        return Click.Reason.COUNTRY
    if snapshot.regions:
        reason = region_reason(region=region, country=country, regions=snapshot.regions)
        if reason:
            return reason
    if snapshot.devices and device not in snapshot.devices:
        return Click.Reason.DEVICE
    if snapshot.oses or snapshot.browsers or snapshot.languages:
        return audience_reason(
            user_agent=user_agent,
            accept_language=accept_language,
            oses=snapshot.oses,
            browsers=snapshot.browsers,
            languages=snapshot.languages,
        )
    return Click.Reason.NONE


def click_location(
    *,
    snapshot: LinkSnapshot,
    reason: str,
    values: Mapping[str, str],
    deep_link: str,
    landing_url: str = "",
) -> str:
    """The Location for this click: the offer (its landing variant `landing_url` if one was
    picked, or an allowed deep link) when nothing stands in the way, else the offer's fallback,
    else the network's."""
    if not reason:
        if (
            deep_link
            and snapshot.deep_links
            and deep_link_allowed(deep_link, allowed_hosts=snapshot.deep_hosts)
        ):
            filled = location_fill(deep_link, values)
            if filled:
                return filled
        filled = location_fill(landing_url or snapshot.landing_url, values)
        if filled:
            return filled
    if snapshot.fallback_url:
        filled = location_fill(snapshot.fallback_url, values)
        if filled:
            return filled
    return network_fallback(values)


def _record(*, record: dict, repeat_key: str, cap_keys: list[str]) -> bool:
    """Make the click durable; True when a cap turned out to be reached."""
    if buffer.redis_client() is not None:
        try:
            appended = buffer.buffer_append(
                record=record,
                unique_key=repeat_key,
                cap_flag_keys=[buffer.raw_cache_key(key) for key in cap_keys],
            )
            return appended.capped
        except redis.RedisError:
            # Better a direct write the visitor waits for than a lost click.
            logger.exception("click buffer unavailable; writing click %s directly", record["id"])
    return click_write_direct(record=record, repeat_key=repeat_key, cap_keys=cap_keys)


def _sandbox_redirect_record(
    *, pending: PendingClick, capped: bool, response: ClickResponse, code: str
) -> None:
    """What the redirect decided for a test click, for its sandbox trace. Test clicks only: a
    real click never waits on this write. A failure loses the trace's first step, never the
    visitor's redirect."""
    snapshot = pending.snapshot
    assert snapshot.link_id is not None
    location = dict(response.headers).get("Location", "")
    reason = pending.record["fr"]
    try:
        SandboxTraceStep.objects.create(
            click_id=pending.record["id"],
            link_id=snapshot.link_id,
            step=SandboxTraceStep.Step.REDIRECT,
            data={
                "link": {"code": code, "offer_id": snapshot.offer_id},
                "decision": reason or "offer",
                "cap_flag_found": capped,
                "offer_url": snapshot.landing_url,
                "fallback_url": snapshot.fallback_url,
                "deep_link": pending.deep_link,
                "macros": dict(pending.values),
                "final_url": location,
                "country": pending.record["cc"],
                "device": pending.record["dv"],
                "bad_params": pending.record.get("bp", ""),
            },
        )
    except DatabaseError:
        logger.exception("sandbox trace of click %s not recorded", pending.record["id"])


def _cookie(click_id: str) -> str:
    max_age = settings.CLICK_COOKIE_DAYS * 86400
    secure = "; Secure" if settings.TRACKING_BASE_URL.startswith("https://") else ""
    return (
        f"{settings.CLICK_COOKIE_NAME}={click_id}; Max-Age={max_age}; Path=/; "
        f"HttpOnly; SameSite=Lax{secure}"
    )


def impression_handle(*, environ: Mapping[str, str], kind: str, code: str = "") -> ClickResponse:
    """The impression pixel: a 1x1 GIF, counted per (offer, publisher, hour)."""
    try:
        snapshot = _resolve(kind, code, _query(environ))
    except LinkUnavailable:
        snapshot = None
    if snapshot is None:
        return not_found()
    try:
        impressions.impression_count(offer_id=snapshot.offer_id, publisher_id=snapshot.publisher_id)
    except (redis.RedisError, DatabaseError):
        # An uncounted impression is no loss worth failing a page's image for.
        logger.exception("impression of offer %s not counted", snapshot.offer_id)
    return ClickResponse(200, [("Content-Type", "image/gif"), NO_STORE], PIXEL_GIF)
