"""The durable click buffer: a Redis stream the redirect appends to before it answers.

One Lua script does the redirect's whole Redis work in one round trip: read the cap flags, read
and set the visitor's 24 h repeat marker (kept in day buckets, see APPEND_LUA) and XADD the
click. The ingester (ingest.py) reads the stream through a consumer group, writes PostgreSQL,
then XACKs and XDELs, so an entry leaves Redis only once it is committed; entries a dead
ingester held are claimed back (XAUTOCLAIM).

Redis must never evict a buffered click: the first use checks that `maxmemory-policy` is
`noeviction` and refuses to run otherwise.

On a Redis Cluster (CLICK_REDIS_MODE=cluster; core/streams.py names the keys and builds the
client) the stream is split into shards, and a click goes to the shard its repeat marker's
hash tag names, so the script touches one hash slot; the cap flags live in Django's cache on
the plain Redis, so there they are read first (one more round trip, for capped offers only)
and the script is told the answer (the same script: its cap flag keys are then none). The
redirect's client is redis-py's RedisCluster, which follows MOVED and ASK.
"""

import hashlib
import json
import logging
import os
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from core.streams import (
    click_cluster_client,
    click_cluster_client_reset,
    click_redis_clustered,
    click_stream_keys,
    click_stream_sharded,
)
from tracking.clicks.resp import GroupCommit, RespClient, RespScript

logger = logging.getLogger(__name__)

UNIQUE_SECONDS = 24 * 3600
# One key per marker, as markers were kept before they moved into day buckets: still read (never
# written) by the script, so visitors seen just before an upgrade stay repeats for their 24 h;
# and the key the direct-write path sets in Django's cache.
UNIQUE_PREFIX = "affnet:uniq:"
MARKER_PREFIX = "affnet:uq:"
DEAD_SUFFIX = ":dead"

# The redirect's whole Redis work in one round trip. Repeat markers live in day buckets: hashes
# `affnet:uq:<day>:<bucket>` whose fields are 32-bit numbers taken from the visitor's digest and
# whose values are the second of that day the visitor was first seen. Redis stores such a small
# hash as one listpack (about 11 bytes a marker, against 133 for a key of its own: docs/scaling.md),
# and the two buckets a visitor can be in are read exactly as a 24 h marker would be.
#
# KEYS[1] stream, KEYS[2] today's bucket, KEYS[3] yesterday's bucket, KEYS[4] the legacy one-key
# marker, KEYS[5..] cap flags. ARGV[1] click JSON, ARGV[2] field, ARGV[3] second of today,
# ARGV[4] when today's bucket expires (end of tomorrow, when it stops being "yesterday"),
# ARGV[5] the cap answer when it was read elsewhere (a cluster: the flags are on the plain Redis).
# Returns {unique, capped}; both are also stored with the entry.
APPEND_LUA = """
local capped = tonumber(ARGV[5])
for i = 5, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then capped = 1 break end
end
local at = tonumber(ARGV[3])
-- Set first: most visitors are new, and a listpack is scanned once per command.
local unique = redis.call('HSETNX', KEYS[2], ARGV[2], at)
if unique == 1 then
  -- Seen yesterday at second y: (86400 - y) + at seconds ago, within 24 h when y > at.
  local y = redis.call('HGET', KEYS[3], ARGV[2])
  if (y and tonumber(y) > at) or redis.call('EXISTS', KEYS[4]) == 1 then
    unique = 0
    redis.call('HDEL', KEYS[2], ARGV[2])
  else
    redis.call('EXPIREAT', KEYS[2], ARGV[4])
  end
end
redis.call('XADD', KEYS[1], '*', 'd', ARGV[1], 'u', unique, 'c', capped)
return {unique, capped}
"""

# When every shard is empty, an ingester waits on one of them at most this long before looking
# at all of them again (a cluster cannot block on keys in several slots at once).
SHARD_WAIT_MS = 100

_lock = threading.Lock()
_client: redis.Redis | None = None
_hot: RespClient | None = None
_append: Callable[[list[str], list], Any] | None = None
_cluster_script: Any = None
# The eviction policy is checked once Redis answers: a web node (re)started while Redis is
# restarting must serve its visitors (the redirect writes directly) rather than fail them all.
_policy_unchecked = False
_policy_next_check = 0.0
POLICY_RECHECK_SECONDS = 1.0


def redis_client() -> redis.Redis | None:
    """The buffer's Redis client, or None in the embedded mode (no REDIS_URL)."""
    global _client, _hot, _append, _policy_unchecked
    if _client is None and settings.REDIS_URL:
        with _lock:
            if _client is None:
                client = redis.Redis.from_url(
                    settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2
                )
                if click_redis_clustered():
                    _append = _cluster_append
                elif settings.REDIS_URL.startswith("rediss://"):
                    script = client.register_script(APPEND_LUA)
                    _append = lambda keys, args: script(keys=keys, args=args, client=client)  # noqa: E731
                else:
                    _hot = RespClient(settings.REDIS_URL)
                    _append = RespScript(GroupCommit(_hot), APPEND_LUA)
                _policy_unchecked = True
                _client = client
    if _policy_unchecked:
        _policy_check()
    return _client


def _policy_check() -> None:
    """buffer_check_policy on every Redis holding clicks, as soon as they answer; a wrong policy
    raises ImproperlyConfigured (loud), an unreachable Redis is tried again a second later."""
    global _policy_unchecked, _policy_next_check
    now = time.monotonic()
    if now < _policy_next_check or _client is None:
        return
    _policy_next_check = now + POLICY_RECHECK_SECONDS
    try:
        buffer_check_policy(client=_client)
        if click_redis_clustered():
            buffer_check_policy(client=click_cluster_client())
    except redis.RedisError as exc:
        logger.warning("click buffer: Redis eviction policy not checked yet (%s)", exc)
        return
    _policy_unchecked = False


def _cluster_append(keys: list[str], args: list) -> Any:
    """The append on the cluster (client and script made on first use: the cluster may be
    unreachable when this process starts)."""
    global _cluster_script
    cluster = click_cluster_client()
    if _cluster_script is None:
        _cluster_script = cluster.register_script(APPEND_LUA)
    return _cluster_script(keys=keys, args=args, client=cluster)


def hot_call(*args: bytes | str | int) -> Any:
    """One command on the redirect's lean client (redis-py when Redis is TLS)."""
    client = redis_client()
    assert client is not None
    if _hot is not None:
        return _hot.call(*args)
    return client.execute_command(*args)


def stream_client() -> redis.Redis | None:
    """The client of the Redis that holds the stream and the repeat markers: the cluster's in
    cluster mode, else the one of `redis_client()`."""
    client = redis_client()
    if client is not None and click_redis_clustered():
        return click_cluster_client()
    return client


def redis_client_reset() -> None:
    """Forget the clients (tests switching Redis servers)."""
    global _client, _hot, _append, _cluster_script, _policy_unchecked, _policy_next_check
    _policy_unchecked, _policy_next_check = False, 0.0
    with _lock:
        if _client is not None:
            _client.close()
        if _hot is not None:
            _hot.close()
        _client = _hot = _append = _cluster_script = None
    click_cluster_client_reset()


def buffer_check_policy(*, client: redis.Redis) -> None:
    """Fail loudly unless Redis is configured to evict nothing."""
    try:
        if isinstance(client, redis.RedisCluster):
            # Every primary answers; all of them hold clicks.
            replies = client.config_get("maxmemory-policy", target_nodes=client.PRIMARIES)
            if "maxmemory-policy" in replies:
                replies = {"cluster": replies}
            policies = [reply.get("maxmemory-policy") for reply in replies.values()]
        else:
            policies = [client.config_get("maxmemory-policy").get("maxmemory-policy")]
    except redis.ResponseError as exc:
        raise ImproperlyConfigured(
            f"Cannot read Redis maxmemory-policy ({exc}); the click buffer needs noeviction"
        ) from exc
    for policy in policies:
        if isinstance(policy, bytes):
            policy = policy.decode()
        if policy != "noeviction":
            raise ImproperlyConfigured(
                f"Redis maxmemory-policy is {policy!r}: it may evict buffered clicks. Set "
                "maxmemory-policy noeviction on the Redis of REDIS_URL (and every primary of "
                "CLICK_REDIS_CLUSTER_URL)."
            )


def stream_key() -> str:
    """The stream's key when it is one plain stream (see `stream_keys` otherwise)."""
    return settings.CLICK_STREAM_KEY


def stream_keys() -> list[str]:
    """Every shard's stream key (one, the historical name, unless sharded)."""
    return click_stream_keys()


def repeat_digest(*, ip: str, user_agent: str, offer_id: int, publisher_id: int) -> str:
    """The visitor's repeat key: 32 hex digits, one visitor x offer x publisher."""
    return hashlib.blake2b(
        f"{ip}|{user_agent}|{offer_id}|{publisher_id}".encode(), digest_size=16
    ).hexdigest()


@dataclass(frozen=True)
class Marker:
    """Where one visitor's repeat marker is read and written at one moment (APPEND_LUA)."""

    today: str
    yesterday: str
    legacy: str
    field: str
    second: int
    expire_at: int


def repeat_marker(repeat_key: str, *, now: int, tag: str = "") -> Marker:
    """The marker of `repeat_key` (32 hex digits) at unix second `now`; `tag` is the stream
    shard's hash tag on a cluster, so every key of one append is in one hash slot."""
    day, second = divmod(now, UNIQUE_SECONDS)
    bucket = int(repeat_key[:8], 16) % settings.CLICK_UNIQUE_BUCKETS
    prefix = f"{MARKER_PREFIX}{tag}:" if tag else MARKER_PREFIX
    return Marker(
        today=f"{prefix}{day}:{bucket}",
        yesterday=f"{prefix}{day - 1}:{bucket}",
        legacy=f"{UNIQUE_PREFIX}{tag}:{repeat_key}" if tag else UNIQUE_PREFIX + repeat_key,
        # A canonical decimal integer: Redis keeps it in the listpack as a 4-byte integer.
        field=str(int(repeat_key[8:16], 16)),
        second=second,
        expire_at=(day + 2) * UNIQUE_SECONDS,
    )


def append_keys(*, repeat_key: str, cap_flag_keys: list[str], now: int) -> tuple[list[str], Marker]:
    """KEYS of APPEND_LUA for one click (its shard of the stream, its marker's keys with the
    shard's hash tag, then the cap flags as raw cache keys), and the marker they name."""
    if not click_stream_sharded():
        stream, tag = stream_key(), ""
    else:
        keys = stream_keys()
        stream = keys[zlib.crc32(repeat_key.encode()) % len(keys)]
        tag = stream[stream.index("{") :]
    marker = repeat_marker(repeat_key, now=now, tag=tag)
    return [stream, marker.today, marker.yesterday, marker.legacy, *cap_flag_keys], marker


def raw_cache_key(key: str) -> str:
    """The Redis key Django's cache uses for `key` (cap flags are written through the cache)."""
    return cache.make_and_validate_key(key)


@dataclass(frozen=True)
class Appended:
    unique: bool
    capped: bool


def buffer_append(
    *, record: dict, unique_key: str, cap_flag_keys: list[str], now: int | None = None
) -> Appended:
    """Make one click durable in the stream. Raises redis.RedisError if Redis cannot.

    `unique_key` is the visitor's digest (32 hex digits); `now` (unix seconds) is the moment its
    repeat marker is read at, the current time unless a test says otherwise.
    """
    client = redis_client()
    assert client is not None and _append is not None
    keys, marker = append_keys(
        repeat_key=unique_key,
        cap_flag_keys=cap_flag_keys,
        now=int(time.time()) if now is None else now,
    )
    args: list = [
        json.dumps(record, separators=(",", ":")),
        marker.field,
        marker.second,
        marker.expire_at,
    ]
    if click_redis_clustered():
        # The cap flags are on the plain Redis (Django's cache), the click on the cluster.
        capped = bool(cap_flag_keys) and bool(client.exists(*cap_flag_keys))
        unique, capped = _append(keys[:4], [*args, int(capped)])
    else:
        unique, capped = _append(keys, [*args, 0])
    return Appended(unique=bool(unique), capped=bool(capped))


@dataclass(frozen=True)
class Entry:
    """One stream entry: its id and the decoded click, or None when it cannot be decoded."""

    entry_id: str
    record: dict | None
    unique: bool
    capped: bool
    raw: dict
    stream: str = ""  # the shard it was read from


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def buffer_group_ensure(*, client: redis.Redis) -> None:
    for key in stream_keys():
        try:
            client.xgroup_create(key, settings.CLICK_STREAM_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise


def entries_decode(raw: list, *, stream: str = "") -> list[Entry]:
    found = []
    for entry_id, fields in raw:
        if fields is None:  # deleted while pending
            continue
        entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        try:
            record = json.loads(fields[b"d"])
            unique, capped = fields[b"u"] == b"1", fields[b"c"] == b"1"
        except (KeyError, ValueError):
            logger.error("click buffer entry %s cannot be decoded", entry_id)
            record, unique, capped = None, False, False
        found.append(
            Entry(
                entry_id=entry_id,
                record=record,
                unique=unique,
                capped=capped,
                raw=fields,
                stream=stream or stream_key(),
            )
        )
    return found


_rotation = 0


def _shards_in_turn() -> list[str]:
    """The shards, starting one further on each call, so no shard waits behind the others."""
    global _rotation
    keys = stream_keys()
    _rotation = (_rotation + 1) % len(keys)
    return keys[_rotation:] + keys[:_rotation]


def buffer_claim_stale(*, client: redis.Redis, consumer: str, count: int) -> list[Entry]:
    """Entries read by an ingester that did not ack them in time (it died, or PostgreSQL was
    down): taken over by `consumer`, up to `count` over all shards."""
    found: list[Entry] = []
    for key in _shards_in_turn():
        _next, raw, *_deleted = client.xautoclaim(
            key,
            settings.CLICK_STREAM_GROUP,
            consumer,
            min_idle_time=settings.CLICK_STREAM_CLAIM_IDLE_MS,
            start_id="0-0",
            count=count - len(found),
        )
        found.extend(entries_decode(raw, stream=key))
        if len(found) >= count:
            break
    return found


def buffer_read_new(
    *, client: redis.Redis, consumer: str, count: int, block_ms: int = 0
) -> list[Entry]:
    """New entries, up to `count` over all shards. With `block_ms`, an empty buffer is waited on
    (on one shard at a time when sharded, up to SHARD_WAIT_MS each)."""
    keys = _shards_in_turn()
    if len(keys) == 1:
        return _read(client, keys[0], consumer, count, block_ms)
    found: list[Entry] = []
    for key in keys:
        found.extend(_read(client, key, consumer, count - len(found), 0))
        if len(found) >= count:
            return found
    if found or not block_ms:
        return found
    started = time.monotonic()
    found = _read(client, keys[0], consumer, count, min(block_ms, SHARD_WAIT_MS))
    if not found and block_ms > SHARD_WAIT_MS:
        # Time left for the caller's wait: spend it on the other shards next round.
        elapsed = (time.monotonic() - started) * 1000
        time.sleep(max(0.0, min(SHARD_WAIT_MS, block_ms) - elapsed) / 1000)
    return found


def _read(client, key: str, consumer: str, count: int, block_ms: int) -> list[Entry]:
    reply = client.xreadgroup(
        settings.CLICK_STREAM_GROUP, consumer, {key: ">"}, count=count, block=block_ms or None
    )
    return entries_decode(reply[0][1], stream=key) if reply else []


def buffer_done(*, client: redis.Redis, entries: list[Entry]) -> None:
    """Ack and delete entries whose clicks are committed in PostgreSQL."""
    by_stream: dict[str, list[str]] = {}
    for entry in entries:
        by_stream.setdefault(entry.stream or stream_key(), []).append(entry.entry_id)
    for key, entry_ids in by_stream.items():
        # One shard, one hash slot: a transaction even on a cluster.
        pipe = client.pipeline(transaction=True)
        pipe.xack(key, settings.CLICK_STREAM_GROUP, *entry_ids)
        pipe.xdel(key, *entry_ids)
        pipe.execute()


def buffer_dead_letter(*, client: redis.Redis, entries: list[Entry]) -> None:
    """Move undecodable entries aside (kept for a person to look at) and out of the way."""
    if not entries:
        return
    for entry in entries:
        # `<shard>:dead` keeps the shard's hash tag.
        client.xadd(
            (entry.stream or stream_key()) + DEAD_SUFFIX, {**entry.raw, b"entry": entry.entry_id}
        )
    buffer_done(client=client, entries=entries)
