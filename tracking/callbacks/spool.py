"""The callback spool: a durable Redis stream that keeps callbacks while PostgreSQL is down.

Most advertisers' senders never retry, so a callback answered 503 during a database outage is
a conversion lost. When the inbox insert cannot reach PostgreSQL (services.py), the callback is
appended here instead, as the redirect appends clicks to the click buffer (tracking/clicks/
buffer.py), and answered 200 with `"spooled": true`. The drain (drain.py, run by beat) reads the
stream through a consumer group, inserts the rows into the inbox, then XACKs and XDELs, so an
entry leaves Redis only once its row is committed; entries a dead drain held are claimed back
(XAUTOCLAIM).

One Lua script makes the append atomic with a signed callback's replay marker (SET NX, kept as
long as a replay key is, tracking/callbacks/replay.py): the same signature twice during an
outage is refused `replayed` at the door, as it is when PostgreSQL is up. Both keys carry the
stream key's hash tag, so they share a slot on a Redis Cluster too.

Redis must never evict a spooled callback: the first use checks `maxmemory-policy` is
`noeviction`, as the click buffer does.
"""

import json
import logging
import threading
from dataclasses import dataclass

import redis
from django.conf import settings

from tracking.callbacks.replay import REPLAY_KEY_KEEP
from tracking.clicks.buffer import buffer_check_policy

logger = logging.getLogger(__name__)

DEAD_SUFFIX = ":dead"

# KEYS[1] stream, KEYS[2] (optional) the signature's replay marker. ARGV[1] record JSON,
# ARGV[2] marker TTL. Returns 1 when appended, 0 when the marker was taken (a replay).
APPEND_LUA = """
if #KEYS > 1 then
  if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then return 0 end
end
redis.call('XADD', KEYS[1], '*', 'd', ARGV[1])
return 1
"""

_lock = threading.Lock()
_client: redis.Redis | None = None
_append = None


def spool_key() -> str:
    return settings.CALLBACK_SPOOL_KEY


def spool_group() -> str:
    return settings.CALLBACK_SPOOL_GROUP


def spool_client() -> redis.Redis | None:
    """The spool's Redis client, or None in the embedded mode (no REDIS_URL): no spool there.

    Short timeouts: the spool is the fallback of a request already waiting on PostgreSQL, and
    with Redis down too the answer is a prompt 503. Raises redis.RedisError when the policy
    cannot be read (Redis down at first use): nothing is cached then, the next call retries.
    """
    global _client, _append
    if _client is not None or not settings.REDIS_URL:
        return _client
    with _lock:
        if _client is None:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=1
            )
            buffer_check_policy(client=client)
            _append = client.register_script(APPEND_LUA)
            _client = client
    return _client


def spool_client_reset() -> None:
    """Forget the client (tests switching Redis servers)."""
    global _client, _append
    with _lock:
        if _client is not None:
            _client.close()
        _client = _append = None


def spool_append(*, record: dict, replay_digest: str | None) -> bool:
    """Make one callback durable in the spool. False, with nothing appended, when its signature
    was spooled before (a replay). Raises redis.RedisError when Redis cannot take it."""
    client = spool_client()
    if client is None:
        raise redis.ConnectionError("no REDIS_URL: the callback spool needs Redis")
    keys = [spool_key()]
    if replay_digest:
        keys.append(f"{spool_key()}:replay:{replay_digest}")
    args = [json.dumps(record, separators=(",", ":")), int(REPLAY_KEY_KEEP.total_seconds())]
    assert _append is not None
    return bool(_append(keys=keys, args=args, client=client))


@dataclass(frozen=True)
class SpoolEntry:
    """One stream entry: its id and the decoded record, or None when it cannot be decoded."""

    entry_id: str
    record: dict | None
    raw: dict


def spool_group_ensure(*, client: redis.Redis) -> None:
    try:
        client.xgroup_create(spool_key(), spool_group(), id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _decode(raw: list) -> list[SpoolEntry]:
    found = []
    for entry_id, fields in raw:
        if fields is None:  # deleted while pending
            continue
        entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        try:
            record = json.loads(fields[b"d"])
            if not isinstance(record, dict):
                raise ValueError("not an object")
        except (KeyError, ValueError):
            logger.error("callback spool entry %s cannot be decoded", entry_id)
            record = None
        found.append(SpoolEntry(entry_id=entry_id, record=record, raw=fields))
    return found


def spool_claim_stale(*, client: redis.Redis, consumer: str, count: int) -> list[SpoolEntry]:
    """Entries a drain read and did not ack in time (it died, or PostgreSQL was still down):
    taken over by `consumer`."""
    _next, raw, *_deleted = client.xautoclaim(
        spool_key(),
        spool_group(),
        consumer,
        min_idle_time=settings.CALLBACK_SPOOL_CLAIM_IDLE_MS,
        start_id="0-0",
        count=count,
    )
    return _decode(raw)


def spool_read_new(*, client: redis.Redis, consumer: str, count: int) -> list[SpoolEntry]:
    reply = client.xreadgroup(spool_group(), consumer, {spool_key(): ">"}, count=count)
    return _decode(reply[0][1]) if reply else []


def spool_done(*, client: redis.Redis, entry_ids: list[str]) -> None:
    """Ack and delete entries whose rows are committed in the inbox."""
    if not entry_ids:
        return
    pipe = client.pipeline(transaction=True)
    pipe.xack(spool_key(), spool_group(), *entry_ids)
    pipe.xdel(spool_key(), *entry_ids)
    pipe.execute()


def spool_dead_letter(*, client: redis.Redis, entries: list[SpoolEntry]) -> None:
    """Move undecodable entries aside (kept for a person to look at) and out of the way."""
    if not entries:
        return
    pipe = client.pipeline(transaction=True)
    for entry in entries:
        pipe.xadd(spool_key() + DEAD_SUFFIX, {**entry.raw, b"entry": entry.entry_id})
    pipe.execute()
    spool_done(client=client, entry_ids=[entry.entry_id for entry in entries])


def spool_length(*, client: redis.Redis) -> int:
    """Callbacks in the spool not yet in the inbox (for probes and metrics)."""
    return int(client.xlen(spool_key()))
