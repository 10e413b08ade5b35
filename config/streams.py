"""Read-only view of the click buffer stream for health checks and metrics.

The click path owns the stream (tracking/clicks/); this module only looks at it, by the names
in settings, and tolerates a stream or consumer group that does not exist yet (a fresh
install, or the embedded mode that writes clicks directly).
"""

from dataclasses import dataclass

import redis
from django.conf import settings

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
        getattr(settings, "CLICK_STREAM_KEY", "affnet:clicks"),
        getattr(settings, "CLICK_STREAM_GROUP", "ingest"),
    )


def click_stream_state(*, client: redis.Redis) -> StreamState:
    key, group = click_stream_names()
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
