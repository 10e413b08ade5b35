"""Waking the attribution workers without one task message per callback.

The endpoint calls `attribution_kick` after its insert commits. Only the first kick in a short
window sends a `drain` task (a cache `add` is atomic: SET NX on Redis); the drain clears the flag
before it claims rows, so a row committed after the claim starts sends a new drain. A kick that
is lost anyway (broker down, worker killed) is covered by the periodic sweep.
"""

import logging
import time

import kombu.exceptions
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

KICK_KEY = "attribution:kick"
KICK_SECONDS = 2
# A process asks Redis at most this often: under load the request after next kicks anyway, and
# a last row left without a kick is taken by the periodic sweep.
LOCAL_KICK_INTERVAL = 0.2
_last_kick = 0.0


def attribution_kick() -> None:
    transaction.on_commit(_kick_now)


def _kick_now() -> None:
    global _last_kick
    now = time.monotonic()
    if now - _last_kick < LOCAL_KICK_INTERVAL:
        return
    _last_kick = now
    from tracking.tasks.attribution import attribution_drain

    # The callback is committed when this runs: a kick that cannot go out (Redis restarting,
    # broker down) must not turn the advertiser's answer into an error. The sweep takes the row.
    try:
        if cache.add(KICK_KEY, 1, timeout=KICK_SECONDS):
            attribution_drain.delay()
    except (redis.RedisError, kombu.exceptions.OperationalError) as exc:
        logger.warning("attribution kick not sent, the sweep will take the row: %s", exc)


def attribution_kick_clear() -> None:
    cache.delete(KICK_KEY)


def attribution_batch_size() -> int:
    return settings.ATTRIBUTION_BATCH_SIZE


def click_wait_seconds() -> float:
    """How long a callback waits for its click to reach PostgreSQL before `unknown_click`."""
    return float(settings.ATTRIBUTION_CLICK_WAIT_SECONDS)


def click_retry_seconds() -> float:
    return float(settings.ATTRIBUTION_CLICK_RETRY_SECONDS)
