"""Moving callbacks spooled in Redis while PostgreSQL was down into the inbox, each once.

The spool (spool.py) is read through a consumer group: entries a drain read but did not ack
(it died, or PostgreSQL was still down) are claimed back after CALLBACK_SPOOL_CLAIM_IDLE_MS.
A batch of rows is committed first (store.inbox_spooled_insert) and only then acked and
deleted, so a crash between the two leaves the entries to be read again; the rows' spool ids
are unique, so reading them again stores nothing twice. A signed callback's replay key is
inserted with its row, as at the door: a signature stored before (before the outage, or sent
again after it) makes the spooled copy a replay that stores nothing.

While PostgreSQL is still down the insert raises and nothing is acked: the drain run ends and
the next one tries again.
"""

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connections, router

from tracking.callbacks.spool import (
    SpoolEntry,
    spool_claim_stale,
    spool_client,
    spool_dead_letter,
    spool_done,
    spool_group_ensure,
    spool_read_new,
)
from tracking.callbacks.store import ReplayKey, inbox_spooled_insert
from tracking.models import CallbackInbox
from tracking.tasks.attribution import attribution_kick

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrainOutcome:
    read: int = 0
    stored: int = 0
    already: int = 0
    replayed: int = 0
    dead: int = 0


def spool_batch_size() -> int:
    return settings.CALLBACK_SPOOL_BATCH


def _consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def spool_record_row(*, record: dict) -> tuple[CallbackInbox, ReplayKey | None]:
    """The inbox row and replay key of a spooled record (services.spool_record).
    Raises KeyError, TypeError or ValueError when the record is malformed."""
    row = CallbackInbox(
        spool_id=str(record["spool_id"]),
        received_at=datetime.fromisoformat(record["received_at"]),
        dialect=record["dialect"],
        method=record["method"],
        path=record["path"],
        params=dict(record["params"]),
        headers=dict(record["headers"]),
        remote_ip=record["remote_ip"],
        advertiser_id=record["advertiser_id"],
        click_id=record["click_id"],
        auth_deferred=bool(record["auth_deferred"]),
    )
    replay = record.get("replay")
    key = None if not replay else ReplayKey(str(replay[0]), replay[1])
    return row, key


def callback_spool_drain(*, max_batches: int = 100) -> DrainOutcome:
    """Store what the spool holds in the inbox, batch after batch, then wake attribution.

    Raises the database error when PostgreSQL is still unreachable (nothing acked then), and
    redis.RedisError when the spool cannot be read. The embedded mode has no spool.
    """
    client = spool_client()
    if client is None:
        return DrainOutcome()
    # Fail before reading while PostgreSQL is still down: entries read and not acked would wait
    # CALLBACK_SPOOL_CLAIM_IDLE_MS for a claim once it is back.
    connections[router.db_for_write(CallbackInbox)].ensure_connection()
    spool_group_ensure(client=client)
    consumer = _consumer()
    size = spool_batch_size()
    totals = {"read": 0, "stored": 0, "already": 0, "replayed": 0, "dead": 0}
    for _ in range(max_batches):
        entries = spool_claim_stale(client=client, consumer=consumer, count=size)
        if not entries:
            entries = spool_read_new(client=client, consumer=consumer, count=size)
        if not entries:
            break
        outcome = spool_entries_store(entries=entries)
        spool_entries_done(entries=entries)
        totals["read"] += len(entries)
        for name in ("stored", "already", "replayed", "dead"):
            totals[name] += getattr(outcome, name)
    if totals["stored"]:
        attribution_kick()
    if totals["read"]:
        logger.info("callback spool drained", extra=totals)
    return DrainOutcome(**totals)


def spool_entries_store(*, entries: list[SpoolEntry]) -> DrainOutcome:
    """Commit the entries' rows into the inbox (each at most once); nothing is acked here."""
    items: list[tuple[CallbackInbox, ReplayKey | None]] = []
    dead: list[SpoolEntry] = []
    for entry in entries:
        try:
            if entry.record is None:
                raise ValueError("undecodable")
            items.append(spool_record_row(record=entry.record))
        except (KeyError, TypeError, ValueError, IndexError):
            logger.error("callback spool entry %s is malformed", entry.entry_id)
            dead.append(entry)
    outcome = inbox_spooled_insert(items=items)
    if dead:
        client = spool_client()
        assert client is not None
        spool_dead_letter(client=client, entries=dead)
    return DrainOutcome(
        read=len(entries),
        stored=outcome.stored,
        already=outcome.already,
        replayed=outcome.replayed,
        dead=len(dead),
    )


def spool_entries_done(*, entries: list[SpoolEntry]) -> None:
    """Ack and delete entries whose rows are committed."""
    client = spool_client()
    assert client is not None
    spool_done(client=client, entry_ids=[entry.entry_id for entry in entries])
