"""Celery tasks of the `attribution` queue: thin adapters over tracking.attribution.services."""

import time

from celery import shared_task

from tracking.attribution.queue import attribution_batch_size, attribution_kick_clear
from tracking.attribution.services import inbox_batch_attribute
from tracking.callbacks import replay

# A drain hands over to a fresh task after this long, so one task never holds a worker forever.
DRAIN_SECONDS = 60.0


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
        outcome = inbox_batch_attribute(limit=size)
        total += outcome.claimed
        if outcome.claimed < size or outcome.claimed == outcome.waiting:
            return total
        if time.monotonic() > deadline:
            attribution_drain.delay()
            return total


@shared_task(name="tracking.tasks.attribution.callback_replay_keys_purge")
def callback_replay_keys_purge() -> int:
    """Periodic: forget callback signatures older than their timestamp tolerance allows."""
    return replay.callback_replay_keys_purge()
