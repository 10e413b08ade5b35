"""Celery tasks of the `attribution` queue: thin adapters over tracking.attribution.services.

This module owns sending its tasks: the endpoints wake a drain through `attribution_kick`, and a
drain that left callbacks waiting for their click (BatchOutcome.waiting) schedules the next one
itself. The attribution services send no attribution task, so they do not import this module.
Task names are explicit and stable: queued messages and the beat schedule name them.
"""

import logging
import time

import kombu.exceptions
import redis
from celery import shared_task
from django.db import transaction

from tracking.attribution.queue import (
    attribution_batch_size,
    attribution_kick_clear,
    attribution_kick_take,
    click_retry_seconds,
)
from tracking.attribution.services import BatchOutcome, inbox_batch_attribute
from tracking.callbacks import replay

logger = logging.getLogger(__name__)

# A drain hands over to a fresh task after this long, so one task never holds a worker forever.
DRAIN_SECONDS = 60.0


def attribution_kick() -> None:
    """Wake a drain once the caller's transaction commits (at most one per short window)."""
    transaction.on_commit(_kick_now)


def _kick_now() -> None:
    # The callback is committed when this runs: a kick that cannot go out (Redis restarting,
    # broker down) must not turn the advertiser's answer into an error. The sweep takes the row.
    try:
        if attribution_kick_take():
            attribution_drain.delay()
    except (redis.RedisError, kombu.exceptions.OperationalError) as exc:
        logger.warning("attribution kick not sent, the sweep will take the row: %s", exc)


@shared_task(name="tracking.tasks.attribution.attribution_drain")
def attribution_drain() -> int:
    """Attribute due inbox rows, batch after batch, until none is left. Returns rows claimed."""
    attribution_kick_clear()
    return _drain()


@shared_task(name="tracking.tasks.attribution.attribution_sweep")
def attribution_sweep() -> int:
    """Periodic: take any received row that no drain took (a lost message, a killed worker)."""
    return _drain()


def _drain() -> int:
    size = attribution_batch_size()
    deadline = time.monotonic() + DRAIN_SECONDS
    total = 0
    while True:
        outcome = _batch(size)
        total += outcome.claimed
        if outcome.claimed < size or outcome.claimed == outcome.waiting:
            return total
        if time.monotonic() > deadline:
            attribution_drain.delay()
            return total


def _batch(size: int) -> BatchOutcome:
    """One committed batch; callbacks left waiting for their click get a drain when they are
    due again (the sweep takes them if that message is lost)."""
    outcome = inbox_batch_attribute(limit=size)
    if outcome.waiting:
        attribution_drain.apply_async(countdown=click_retry_seconds())
    return outcome


@shared_task(name="tracking.tasks.attribution.callback_replay_keys_purge")
def callback_replay_keys_purge() -> int:
    """Periodic: forget callback signatures older than their timestamp tolerance allows."""
    return replay.callback_replay_keys_purge()
