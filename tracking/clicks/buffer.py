"""The durable click buffer: a Redis stream the redirect appends to before it answers.

One Lua script does the redirect's whole Redis work in one round trip: read the cap flags, set
the repeat marker (SET NX with a 24 h TTL) and XADD the click. The ingester (ingest.py) reads
the stream through a consumer group, writes PostgreSQL, then XACKs and XDELs, so an entry leaves
Redis only once it is committed; entries a dead ingester held are claimed back (XAUTOCLAIM).

Redis must never evict a buffered click: the first use checks that `maxmemory-policy` is
`noeviction` and refuses to run otherwise. The script touches several keys, so a Redis Cluster
would need them in one hash slot; we target a single primary (with a replica for failover).
"""

import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from tracking.clicks.resp import GroupCommit, RespClient, RespScript

logger = logging.getLogger(__name__)

UNIQUE_SECONDS = 24 * 3600
UNIQUE_PREFIX = "affnet:uniq:"
DEAD_SUFFIX = ":dead"

# KEYS[1] stream, KEYS[2] repeat marker, KEYS[3..] cap flags. ARGV[1] click JSON, ARGV[2] TTL.
# Returns {unique, capped}; both are also stored with the entry.
APPEND_LUA = """
local capped = 0
for i = 3, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then capped = 1 break end
end
local unique = 0
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then unique = 1 end
redis.call('XADD', KEYS[1], '*', 'd', ARGV[1], 'u', unique, 'c', capped)
return {unique, capped}
"""

_lock = threading.Lock()
_client: redis.Redis | None = None
_hot: RespClient | None = None
_append: Callable[[list[str], list], Any] | None = None


def redis_client() -> redis.Redis | None:
    """The buffer's Redis client, or None in the embedded mode (no REDIS_URL)."""
    global _client, _hot, _append
    if _client is not None or not settings.REDIS_URL:
        return _client
    with _lock:
        if _client is None:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2
            )
            buffer_check_policy(client=client)
            if settings.REDIS_URL.startswith("rediss://"):
                script = client.register_script(APPEND_LUA)
                _append = lambda keys, args: script(keys=keys, args=args, client=client)  # noqa: E731
            else:
                _hot = RespClient(settings.REDIS_URL)
                _append = RespScript(GroupCommit(_hot), APPEND_LUA)
            _client = client
    return _client


def hot_call(*args: bytes | str | int) -> Any:
    """One command on the redirect's lean client (redis-py when Redis is TLS)."""
    client = redis_client()
    assert client is not None
    if _hot is not None:
        return _hot.call(*args)
    return client.execute_command(*args)


def redis_client_reset() -> None:
    """Forget the clients (tests switching Redis servers)."""
    global _client, _hot, _append
    with _lock:
        if _client is not None:
            _client.close()
        if _hot is not None:
            _hot.close()
        _client = _hot = _append = None


def buffer_check_policy(*, client: redis.Redis) -> None:
    """Fail loudly unless Redis is configured to evict nothing."""
    try:
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy")
    except redis.ResponseError as exc:
        raise ImproperlyConfigured(
            f"Cannot read Redis maxmemory-policy ({exc}); the click buffer needs noeviction"
        ) from exc
    if isinstance(policy, bytes):
        policy = policy.decode()
    if policy != "noeviction":
        raise ImproperlyConfigured(
            f"Redis maxmemory-policy is {policy!r}: it may evict buffered clicks. "
            "Set maxmemory-policy noeviction on the Redis that REDIS_URL names."
        )


def stream_key() -> str:
    return settings.CLICK_STREAM_KEY


def raw_cache_key(key: str) -> str:
    """The Redis key Django's cache uses for `key` (cap flags are written through the cache)."""
    return cache.make_and_validate_key(key)


@dataclass(frozen=True)
class Appended:
    unique: bool
    capped: bool


def buffer_append(*, record: dict, unique_key: str, cap_flag_keys: list[str]) -> Appended:
    """Make one click durable in the stream. Raises redis.RedisError if Redis cannot."""
    redis_client()
    assert _append is not None
    unique, capped = _append(
        [stream_key(), UNIQUE_PREFIX + unique_key, *cap_flag_keys],
        [json.dumps(record, separators=(",", ":")), UNIQUE_SECONDS],
    )
    return Appended(unique=bool(unique), capped=bool(capped))


@dataclass(frozen=True)
class Entry:
    """One stream entry: its id and the decoded click, or None when it cannot be decoded."""

    entry_id: str
    record: dict | None
    unique: bool
    capped: bool
    raw: dict


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def buffer_group_ensure(*, client: redis.Redis) -> None:
    try:
        client.xgroup_create(stream_key(), settings.CLICK_STREAM_GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def entries_decode(raw: list) -> list[Entry]:
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
            Entry(entry_id=entry_id, record=record, unique=unique, capped=capped, raw=fields)
        )
    return found


def buffer_claim_stale(*, client: redis.Redis, consumer: str, count: int) -> list[Entry]:
    """Entries read by an ingester that did not ack them in time (it died, or PostgreSQL was
    down): taken over by `consumer`."""
    _next, raw, *_deleted = client.xautoclaim(
        stream_key(),
        settings.CLICK_STREAM_GROUP,
        consumer,
        min_idle_time=settings.CLICK_STREAM_CLAIM_IDLE_MS,
        start_id="0-0",
        count=count,
    )
    return entries_decode(raw)


def buffer_read_new(
    *, client: redis.Redis, consumer: str, count: int, block_ms: int = 0
) -> list[Entry]:
    reply = client.xreadgroup(
        settings.CLICK_STREAM_GROUP,
        consumer,
        {stream_key(): ">"},
        count=count,
        block=block_ms or None,
    )
    return entries_decode(reply[0][1]) if reply else []


def buffer_done(*, client: redis.Redis, entry_ids: list[str]) -> None:
    """Ack and delete entries whose clicks are committed in PostgreSQL."""
    if not entry_ids:
        return
    pipe = client.pipeline(transaction=True)
    pipe.xack(stream_key(), settings.CLICK_STREAM_GROUP, *entry_ids)
    pipe.xdel(stream_key(), *entry_ids)
    pipe.execute()


def buffer_dead_letter(*, client: redis.Redis, entries: list[Entry]) -> None:
    """Move undecodable entries aside (kept for a person to look at) and out of the way."""
    if not entries:
        return
    pipe = client.pipeline(transaction=True)
    for entry in entries:
        pipe.xadd(stream_key() + DEAD_SUFFIX, {**entry.raw, b"entry": entry.entry_id})
    pipe.execute()
    buffer_done(client=client, entry_ids=[entry.entry_id for entry in entries])
