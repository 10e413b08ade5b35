"""The attribution queue's bookkeeping: the kick flag in Redis and the queue's settings.

Waking the attribution workers without one task message per callback: the endpoint calls
`attribution_kick` (tracking/tasks/attribution.py, which owns the task it sends) after its
insert commits. Only the first kick in a short window sends a `drain` task: `attribution_kick_take`
says whether this one is it (a cache `add` is atomic: SET NX on Redis); the drain clears the flag
before it claims rows, so a row committed after the claim starts sends a new drain. A kick that
is lost anyway (broker down, worker killed) is covered by the periodic sweep.

This module sends no task and imports neither the tasks nor the attribution services, so the
services, the task module and the endpoints all import it without a circle.
"""

import time

from django.conf import settings
from django.core.cache import cache

KICK_KEY = "attribution:kick"
KICK_SECONDS = 2
# A process asks Redis at most this often: under load the request after next kicks anyway, and
# a last row left without a kick is taken by the periodic sweep.
LOCAL_KICK_INTERVAL = 0.2
_last_kick = 0.0


def attribution_kick_take() -> bool:
    """Whether this kick is the one to send a drain: not within LOCAL_KICK_INTERVAL of this
    process's last try, and the first to set the flag in its window. Raises redis.RedisError
    when Redis cannot be asked."""
    global _last_kick
    now = time.monotonic()
    if now - _last_kick < LOCAL_KICK_INTERVAL:
        return False
    _last_kick = now
    return bool(cache.add(KICK_KEY, 1, timeout=KICK_SECONDS))


def attribution_kick_clear() -> None:
    cache.delete(KICK_KEY)


def attribution_batch_size() -> int:
    return settings.ATTRIBUTION_BATCH_SIZE


def click_wait_seconds() -> float:
    """How long a callback waits for its click to reach PostgreSQL before `unknown_click`."""
    return float(settings.ATTRIBUTION_CLICK_WAIT_SECONDS)


def click_retry_seconds() -> float:
    return float(settings.ATTRIBUTION_CLICK_RETRY_SECONDS)
