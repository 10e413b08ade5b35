"""Celery task of the callback spool (queue `attribution`), scheduled by beat.

A thin adapter over tracking.callbacks.drain: safe to run twice or concurrently (the consumer
group hands each entry to one reader; the spool id makes the insert idempotent). While
PostgreSQL is still down a run fails without acking anything and the next run tries again.
"""

import logging

from celery import shared_task
from django.db import DatabaseError

from tracking.callbacks.drain import callback_spool_drain
from tracking.callbacks.store import database_unreachable

logger = logging.getLogger(__name__)


@shared_task(name="tracking.tasks.callback_spool.callback_spool_drain", ignore_result=True)
def callback_spool_drain_task() -> int:
    try:
        outcome = callback_spool_drain()
    except DatabaseError as exc:
        if not database_unreachable(exc):
            raise
        # Expected while the outage lasts: the entries wait in Redis for the next run.
        logger.warning("callback spool not drained, PostgreSQL unreachable: %s", exc)
        return 0
    return outcome.stored
