"""Where the click buffer lives, and a read-only view of it for health checks and metrics.

The click buffer and its repeat markers live on the Redis that REDIS_URL names (the default),
or on a Redis Cluster (CLICK_REDIS_MODE=cluster, CLICK_REDIS_CLUSTER_URL), while the Celery
broker and Django's cache stay on REDIS_URL. The stream may be split into CLICK_STREAM_SHARDS
keys: shard i is `<CLICK_STREAM_KEY>:{<tag i>}`, and a click's repeat marker carries the same
hash tag as the shard its click is appended to, so the one script an append runs touches a
single hash slot (Redis Cluster refuses a script across slots). One stream, unsharded, keeps the
historical key names.

The click path (tracking/clicks/) owns the stream; this module names it, builds the client for
it, and looks at it, tolerating a stream or consumer group that does not exist yet (a fresh
install, or the embedded mode that writes clicks directly).
"""

import functools
import threading
from dataclasses import dataclass

import redis
from django.conf import settings
from redis.backoff import ExponentialBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot
from redis.exceptions import RedisClusterException
from redis.retry import Retry

# When Redis cannot compute a group's lag (entries deleted in the middle of the stream), we
# count the undelivered entries ourselves, but never more than this: "at least N" is enough
# to fail a readiness threshold and keeps a probe cheap.
LAG_COUNT_LIMIT = 100_000


@dataclass(frozen=True)
class StreamState:
    exists: bool
    length: int = 0
    entries_added: int = 0
    lag: int = 0
    pending: int = 0


def click_stream_names() -> tuple[str, str]:
    """(stream key, consumer group) of the click buffer, as the click path configures them."""
    return (
        settings.CLICK_STREAM_KEY,
        settings.CLICK_STREAM_GROUP,
    )


def click_redis_clustered() -> bool:
    return settings.CLICK_REDIS_MODE == "cluster"


def click_stream_sharded() -> bool:
    """Whether keys carry a shard's hash tag (a cluster always; one plain stream never)."""
    return click_redis_clustered() or settings.CLICK_STREAM_SHARDS > 1


@functools.cache
def shard_tags(shards: int) -> tuple[str, ...]:
    """One hash tag per shard, shard i's slot in the i-th `shards`-th of the slot space.

    `redis-cli --cluster create` splits the slots evenly, so with as many shards as primaries
    (or a multiple) every primary gets its share of the appends and of the ingest work; tags
    picked by name alone ("0", "1", ...) may all land on one node.
    """
    tags = []
    for index in range(shards):
        low = index * REDIS_CLUSTER_HASH_SLOTS // shards
        high = (index + 1) * REDIS_CLUSTER_HASH_SLOTS // shards
        probe = 0
        while not low <= key_slot(f"c{index}.{probe}".encode()) < high:
            probe += 1
        tags.append(f"c{index}.{probe}")
    return tuple(tags)


def click_stream_keys() -> list[str]:
    """Every stream key of the buffer, in shard order."""
    key, _group = click_stream_names()
    if not click_stream_sharded():
        return [key]
    return [f"{key}:{{{tag}}}" for tag in shard_tags(settings.CLICK_STREAM_SHARDS)]


_cluster_lock = threading.Lock()
_cluster: RedisCluster | None = None


def click_cluster_client() -> RedisCluster:
    """The process's Redis Cluster client for the buffer (follows MOVED and ASK redirections,
    refreshes its slot map when the cluster changes)."""
    global _cluster
    if _cluster is None:
        with _cluster_lock:
            if _cluster is None:
                first, *others = settings.CLICK_REDIS_CLUSTER_URL
                extra = []
                for url in others:
                    options = redis.connection.parse_url(url)
                    extra.append(ClusterNode(options.get("host"), options.get("port", 6379)))
                try:
                    _cluster = RedisCluster.from_url(
                        first,
                        startup_nodes=extra or None,
                        socket_timeout=5,
                        socket_connect_timeout=2,
                        # A visitor waits on these: two quick retries, then the redirect writes
                        # the click directly (redirect.py), as it does when a single Redis fails.
                        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
                    )
                except RedisClusterException as exc:
                    # No node answered: a RedisError like any other Redis outage, so callers
                    # fall back (direct write, claim later) instead of failing.
                    raise redis.ConnectionError(f"Redis Cluster unreachable: {exc}") from exc
    return _cluster


def click_cluster_client_reset() -> None:
    global _cluster
    with _cluster_lock:
        if _cluster is not None:
            _cluster.close()
        _cluster = None


def click_stream_state(*, client: redis.Redis) -> StreamState:
    """The buffer's state, summed over its shards. `client` is the plain Redis (REDIS_URL); in
    cluster mode the buffer is read on the cluster instead."""
    if click_redis_clustered():
        client = click_cluster_client()
    _key, group = click_stream_names()
    total = StreamState(exists=False)
    for key in click_stream_keys():
        one = _shard_state(client, key, group)
        total = StreamState(
            exists=total.exists or one.exists,
            length=total.length + one.length,
            entries_added=total.entries_added + one.entries_added,
            lag=total.lag + one.lag,
            pending=total.pending + one.pending,
        )
    return total


def _shard_state(client: redis.Redis, key: str, group: str) -> StreamState:
    try:
        info = client.xinfo_stream(key)
    except redis.ResponseError:
        # "no such key": nothing was ever buffered.
        return StreamState(exists=False)
    length = int(info.get("length", 0))
    entries_added = int(info.get("entries-added", length))
    groups = {
        g["name"].decode() if isinstance(g["name"], bytes) else g["name"]: g
        for g in client.xinfo_groups(key)
    }
    found = groups.get(group)
    if found is None:
        # Stream exists but no ingester ever attached: everything in it is unread.
        return StreamState(exists=True, length=length, entries_added=entries_added, lag=length)
    lag = found.get("lag")
    if lag is None:
        last = found["last-delivered-id"]
        last = last.decode() if isinstance(last, bytes) else last
        lag = len(client.xrange(key, min=f"({last}", count=LAG_COUNT_LIMIT))
    return StreamState(
        exists=True,
        length=length,
        entries_added=entries_added,
        lag=int(lag),
        pending=int(found.get("pending", 0)),
    )
