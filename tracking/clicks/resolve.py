"""Resolving a tracking link to a snapshot of everything the redirect decides on.

The redirect must not wait for PostgreSQL, so a snapshot of the link (offer URLs, statuses,
targeting, access, caps) is cached at two levels:

- in the process, for at most one second (most clicks are answered from here, no network),
  at most CLICK_LINK_LOCAL_MAX links, the least recently used forgotten first, so a flood of
  made-up codes cannot grow a web process without bound;
- in Redis (production) for CLICK_LINK_CACHE_SECONDS, shared by every web process.

Past that the snapshot is rebuilt from PostgreSQL, so an edit to an offer, a publisher, an access
or a cap is seen within a few seconds without signals in the apps that own those rows. A rebuild
costs a few milliseconds and nine queries, so each process rebuilds at most
CLICK_LINK_REBUILDS_PER_SECOND stale snapshots a second and serves the stale copy past that: with
more links clicked than the budget refreshes in CLICK_LINK_CACHE_SECONDS, an edit takes longer to
show (about links / budget seconds) instead of the redirect spending its CPU on rebuilds. The Redis
copy is kept for a week after it goes stale: while PostgreSQL is down, a stale snapshot is still
served, so visitors keep being redirected. Unknown links are cached too (briefly), so a flood of
made-up codes cannot turn into a flood of queries.
"""

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Q

from affiliates.models import Publisher
from offers.creative_services import creative_ids_live
from offers.holds import offer_hold_reason
from offers.models import Advertiser, Cap, LandingVariant, Offer, OfferTargeting
from offers.selectors import offer_is_runnable_by
from tracking.caps import REDIRECT_ACTIONS, cap_flag_key, cap_limit_stamp, cap_period_start
from tracking.clicks import buffer
from tracking.creative_test_code import creative_tests_snapshot
from tracking.models import SandboxLink, SmartLink, SmartLinkOffer, TrackingLink
from tracking.smart_link_epc import smart_link_epcs

logger = logging.getLogger(__name__)

LOCAL_SECONDS = 1.0
MISSING_SECONDS = 2
STALE_KEEP_SECONDS = 7 * 24 * 3600
REDIS_PREFIX = "affnet:link:"
LINK_CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{4,32}")
# Characters a URL may carry as they are; anything else in a configured URL is percent-encoded
# once, when the snapshot is built, so the Location header is always plain ASCII.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~{}"


class LinkUnavailable(Exception):
    """PostgreSQL cannot be reached and no snapshot of this link was ever cached."""


class LinkNotCached(Exception):
    """Asked for the in-process copy only, and it is missing or stale."""


@dataclass(frozen=True)
class LinkSnapshot:
    offer_id: int
    publisher_id: int
    link_id: int | None
    offer_active: bool
    publisher_active: bool
    allowed: bool
    landing_url: str
    fallback_url: str
    countries: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    deep_links: bool = False
    deep_hosts: list[str] = field(default_factory=list)
    # (cap id, period, limit stamp) of the caps that turn this publisher's visitors away when
    # reached; the limit names the flag, so an edited limit reopens the redirect (tracking/caps.py).
    caps: list[list] = field(default_factory=list)
    # Why the offer is held (offers.OfferHold: funds used up, budget reached), "" when it is not;
    # seen by the redirect within CLICK_LINK_CACHE_SECONDS of the hold being set or lifted
    # (later while more links go stale at once than CLICK_LINK_REBUILDS_PER_SECOND rebuilds).
    hold_reason: str = ""
    # A sandbox link (tracking.models.SandboxLink, whose id `link_id` is): its clicks get test
    # click ids, and what the redirect decided is kept for the sandbox trace.
    test: bool = False
    # The offer's landing variants, [variant id, weight, normalised URL], active and of positive
    # weight only; empty: the offer's `landing_url` (tracking/clicks/variants.py picks one).
    variants: list[list] = field(default_factory=list)
    # Finer targeting and scheduling (offers.OfferTargeting; tracking/clicks/targeting.py).
    oses: list[str] = field(default_factory=list)
    browsers: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)  # ISO 3166-2, upper case
    time_zone: str = "UTC"
    hours: dict[str, list[int]] = field(default_factory=dict)
    starts_at: float | None = None  # Unix times
    ends_at: float | None = None
    # Ids of the offer's approved, active creatives: what a click's `creative` may name.
    creatives: list[int] = field(default_factory=list)
    # The offer's creative A/B tests the rotating code answers for, [test id, [arm, ...]]
    # (tracking/clicks/creative_tests.py builds and reads them).
    creative_tests: list[list] = field(default_factory=list)
    # A smart link (tracking.SmartLink, this id): `smart` lists its candidate offers as
    # [link snapshot as a dict, weight, recent EPC as text, a redirect cap found reached];
    # `offer_id` is the first candidate's (the click's offer when none is eligible), and
    # `fallback_url` the smart link's own (tracking/clicks/smart.py decides).
    smart_link_id: int | None = None
    smart_rule: str = ""
    smart: list[list] = field(default_factory=list)


_Cached = tuple[LinkSnapshot | None, float]


class LinkLru:
    """key -> (snapshot or None for unknown, monotonic time it stays fresh until), holding at
    most `maxsize()` keys: reading or writing a key makes it the most recently used, and a
    write past the size forgets the least recently used. An entry past its time is kept (the
    stale copy served while PostgreSQL is down) until it is evicted or rewritten."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, _Cached] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def maxsize() -> int:
        return settings.CLICK_LINK_LOCAL_MAX

    def get(self, key: str) -> _Cached | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def __setitem__(self, key: str, value: _Cached) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize():
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_local = LinkLru()


class RebuildBudget:
    """At most CLICK_LINK_REBUILDS_PER_SECOND rebuilds of a stale snapshot per process and
    second (of the monotonic clock). A link never cached is always built: there is nothing
    else to serve."""

    def __init__(self) -> None:
        self._second = -1
        self._spent = 0
        self._lock = threading.Lock()

    def take(self, now: float) -> bool:
        second = int(now)
        with self._lock:
            if second != self._second:
                self._second, self._spent = second, 0
            if self._spent >= settings.CLICK_LINK_REBUILDS_PER_SECOND:
                return False
            self._spent += 1
            return True


_rebuilds = RebuildBudget()


def link_key_for_code(code: str) -> str | None:
    return f"c:{code}" if LINK_CODE_PATTERN.fullmatch(code) else None


def link_key_for_pair(offer_id: str, publisher_id: str) -> str | None:
    # ASCII digits only: str.isdigit() is true of "\u00b2", which int() refuses.
    if not all(part.isascii() and part.isdigit() for part in (offer_id, publisher_id)):
        return None
    if len(offer_id) > 18 or len(publisher_id) > 18:
        return None
    return f"p:{int(offer_id)}:{int(publisher_id)}"


def link_key_for_smart(code: str) -> str | None:
    return f"s:{code}" if LINK_CODE_PATTERN.fullmatch(code) else None


def link_cache_clear() -> None:
    """Forget every cached snapshot in this process and in Redis (tests, admin tools)."""
    _local.clear()
    client = buffer.redis_client()
    if client is not None:
        keys = list(client.scan_iter(match=REDIS_PREFIX + "*", count=1000))
        if keys:
            client.delete(*keys)


def _clock() -> tuple[float, float]:
    """(monotonic, wall) time now; one seam for tests to move time forward."""
    return time.monotonic(), time.time()


def link_resolve(*, key: str, cached_only: bool = False) -> LinkSnapshot | None:
    """The snapshot for a link key, or None if no such link. Raises LinkUnavailable, and
    LinkNotCached when `cached_only` and the in-process copy will not do."""
    now, wall = _clock()
    cached = _local.get(key)
    if cached is not None and cached[1] > now:
        return cached[0]
    if cached_only:
        raise LinkNotCached(key)

    client = buffer.redis_client()
    stale: tuple[LinkSnapshot | None] | None = (cached[0],) if cached is not None else None
    raw = _shared_get(client, key) if client is not None else None
    if raw is not None:
        stored = json.loads(raw)
        snapshot = LinkSnapshot(**stored["s"]) if stored["s"] is not None else None
        if stored["f"] > wall:
            _local[key] = (snapshot, now + LOCAL_SECONDS)
            return snapshot
        stale = (snapshot,)

    if stale is not None and not _rebuilds.take(now):
        # Over this second's rebuild budget: the stale copy a little longer, so that many
        # links going stale together cost bounded CPU instead of every click waiting on
        # PostgreSQL (docs/scaling.md, "Many links").
        _local[key] = (stale[0], now + LOCAL_SECONDS)
        return stale[0]
    try:
        snapshot = _snapshot_build(key)
    except DatabaseError as exc:
        # Drop the broken connection so a later click reconnects once PostgreSQL is back.
        connection.close()
        if stale is None:
            raise LinkUnavailable(key) from exc
        _local[key] = (stale[0], now + LOCAL_SECONDS)
        return stale[0]

    fresh = settings.CLICK_LINK_CACHE_SECONDS if snapshot is not None else MISSING_SECONDS
    if client is not None:
        value = json.dumps({"s": asdict(snapshot) if snapshot else None, "f": wall + fresh})
        _shared_set(client, key, value, ex=STALE_KEEP_SECONDS if snapshot else fresh)
        _local[key] = (snapshot, now + min(LOCAL_SECONDS, fresh))
    else:
        _local[key] = (snapshot, now + fresh)
    return snapshot


# The Redis copy is only a cache: while Redis is down or restarting, a click resolves from
# PostgreSQL (or the in-process copy) and is written directly, never answered with a 500.
def _shared_get(client: redis.Redis, key: str) -> bytes | None:
    try:
        return client.get(REDIS_PREFIX + key)
    except redis.RedisError as exc:
        logger.warning("link cache unavailable, resolving %r from PostgreSQL: %s", key, exc)
        return None


def _shared_set(client: redis.Redis, key: str, value: str, *, ex: float) -> None:
    try:
        client.set(REDIS_PREFIX + key, value, ex=ex)
    except redis.RedisError as exc:
        logger.warning("link cache unavailable, snapshot %r not shared: %s", key, exc)


def _snapshot_build(key: str) -> LinkSnapshot | None:
    kind, _, rest = key.partition(":")
    if kind == "s":
        return _smart_snapshot(rest)
    if kind == "c":
        link = (
            TrackingLink.objects.filter(code=rest).values("id", "offer_id", "publisher_id").first()
        )
        if link is None:
            return _sandbox_snapshot(rest)
        return _snapshot_for_pair(link["offer_id"], link["publisher_id"], link["id"])
    offer_id, publisher_id = (int(part) for part in rest.split(":"))
    link_id = (
        TrackingLink.objects.filter(offer_id=offer_id, publisher_id=publisher_id)
        .values_list("id", flat=True)
        .first()
    )
    return _snapshot_for_pair(offer_id, publisher_id, link_id)


def _sandbox_snapshot(code: str) -> LinkSnapshot | None:
    link = SandboxLink.objects.filter(code=code).values("id", "offer_id", "publisher_id").first()
    if link is None:
        return None
    snapshot = _snapshot_for_pair(link["offer_id"], link["publisher_id"], link["id"])
    return replace(snapshot, test=True) if snapshot is not None else None


def _smart_snapshot(code: str) -> LinkSnapshot | None:
    """A smart link's snapshot: each candidate offer's own snapshot for the publisher, its
    weight, its recent EPC and whether a redirect cap of it is reached now. None (not found)
    for an unknown code or a smart link left with no offer."""
    smart = (
        SmartLink.objects.filter(code=code)
        .values("id", "publisher_id", "rule", "fallback_url", "is_active")
        .first()
    )
    if smart is None:
        return None
    publisher_id = smart["publisher_id"]
    listed = list(
        SmartLinkOffer.objects.filter(smart_link_id=smart["id"])
        .order_by("id")
        .values_list("offer_id", "weight")
    )
    links = dict(
        TrackingLink.objects.filter(
            publisher_id=publisher_id, offer_id__in=[offer_id for offer_id, _ in listed]
        ).values_list("offer_id", "id")
    )
    epcs = smart_link_epcs(offer_ids=[offer_id for offer_id, _ in listed])
    candidates = []
    for offer_id, weight in listed:
        snapshot = _snapshot_for_pair(offer_id, publisher_id, links.get(offer_id))
        if snapshot is not None:
            candidates.append(
                [asdict(snapshot), weight, str(epcs.get(offer_id, 0)), _cap_reached(snapshot)]
            )
    if not candidates:
        return None
    first = candidates[0][0]
    return LinkSnapshot(
        offer_id=first["offer_id"],
        publisher_id=publisher_id,
        link_id=first["link_id"],
        offer_active=smart["is_active"],
        publisher_active=first["publisher_active"],
        allowed=True,
        landing_url="",
        fallback_url=url_normalised(smart["fallback_url"]),
        smart_link_id=smart["id"],
        smart_rule=smart["rule"],
        smart=candidates,
    )


def _cap_reached(snapshot: LinkSnapshot) -> bool:
    """Whether a redirect cap of this pair is reached now (its flag set), read once per snapshot
    build, through the cache the flags are written to (tracking/caps.py)."""
    if not snapshot.caps:
        return False
    now = datetime.now(UTC)
    keys = [
        cap_flag_key(
            cap_id=cap_id,
            period_start=cap_period_start(period=period, now=now),
            limit=limit[0] if limit else None,
        )
        for cap_id, period, *limit in snapshot.caps
    ]
    try:
        return any(cache.get_many(keys).values())
    except redis.RedisError:
        return False  # the append checks the flags again


def _snapshot_for_pair(
    offer_id: int, publisher_id: int, link_id: int | None
) -> LinkSnapshot | None:
    offer = Offer.objects.select_related("advertiser", "targeting").filter(id=offer_id).first()
    publisher_status = (
        Publisher.objects.filter(id=publisher_id).values_list("status", flat=True).first()
    )
    if offer is None or publisher_status is None:
        return None
    caps = [
        [cap_id, period, cap_limit_stamp(limit)]
        for cap_id, period, limit in Cap.objects.filter(
            Q(publisher_id__isnull=True) | Q(publisher_id=publisher_id),
            offer_id=offer_id,
            action__in=REDIRECT_ACTIONS,
        ).values_list("id", "period", "limit")
    ]
    variants = [
        [variant_id, weight, url_normalised(url)]
        for variant_id, weight, url in LandingVariant.objects.filter(
            offer_id=offer_id, is_active=True, weight__gt=0
        )
        .order_by("id")
        .values_list("id", "weight", "url")
    ]
    try:
        targeting: OfferTargeting | None = offer.targeting
    except OfferTargeting.DoesNotExist:
        targeting = None
    return LinkSnapshot(
        offer_id=offer_id,
        publisher_id=publisher_id,
        link_id=link_id,
        offer_active=offer.status == Offer.Status.ACTIVE
        and offer.advertiser.status == Advertiser.Status.ACTIVE,
        publisher_active=publisher_status == Publisher.Status.ACTIVE,
        allowed=offer_is_runnable_by(publisher_id=publisher_id, offer_id=offer_id),
        landing_url=url_normalised(offer.landing_url),
        fallback_url=url_normalised(offer.fallback_url),
        countries=[code.upper() for code in offer.countries or []],
        devices=[kind.lower() for kind in offer.devices or []],
        deep_links=offer.deep_links_allowed,
        deep_hosts=[host.lower().strip() for host in offer.deep_link_allowed_hosts or []],
        caps=caps,
        hold_reason=offer_hold_reason(offer_id=offer_id),
        variants=[variant for variant in variants if variant[2]],
        creatives=creative_ids_live(offer_id=offer_id),
        creative_tests=creative_tests_snapshot(offer_id=offer_id),
        **(_targeting_fields(targeting) if targeting is not None else {}),
    )


def _targeting_fields(targeting: OfferTargeting) -> dict:
    return {
        "oses": [name.lower().strip() for name in targeting.oses or []],
        "browsers": [name.lower().strip() for name in targeting.browsers or []],
        "languages": [name.lower().strip() for name in targeting.languages or []],
        "regions": [code.upper().strip() for code in targeting.regions or []],
        "time_zone": targeting.time_zone or "UTC",
        "hours": {
            str(day): sorted({int(hour) for hour in hours})
            for day, hours in (targeting.hours or {}).items()
        },
        "starts_at": targeting.starts_at.timestamp() if targeting.starts_at else None,
        "ends_at": targeting.ends_at.timestamp() if targeting.ends_at else None,
    }


def url_normalised(url: str) -> str:
    """`url` with anything not URL-safe percent-encoded once, or "" unless http(s)."""
    if not url:
        return ""
    url = quote(url.strip(), safe=_URL_SAFE)
    return url if urlsplit(url).scheme in ("http", "https") else ""
