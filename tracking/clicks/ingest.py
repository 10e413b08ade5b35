"""Moving clicks from the Redis stream to PostgreSQL.

Each run first takes back entries another ingester read but never acknowledged (it died, or
PostgreSQL was down when it tried), then reads new ones, in batches. A batch is acknowledged and
deleted from the stream only after its transaction committed; if PostgreSQL fails, the batch
stays pending and is claimed again once it has been idle CLICK_STREAM_CLAIM_IDLE_MS. Writing a
batch twice is harmless (store.py is idempotent).
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DataError, IntegrityError

from tracking.clicks import buffer
from tracking.clicks.store import Buffered, clicks_store

logger = logging.getLogger(__name__)


@dataclass
class IngestResult:
    read: int = 0
    inserted: int = 0
    dead: int = 0


def clicks_ingest(
    *,
    consumer: str | None = None,
    max_seconds: float = 5.0,
    batch: int | None = None,
    wait_ms: int = 0,
) -> IngestResult:
    """Drain the stream for up to `max_seconds`. Raises DatabaseError if PostgreSQL is down
    (what was read stays pending, to be claimed again).

    With `wait_ms`, an empty stream is waited on (XREADGROUP BLOCK) until `max_seconds` is up,
    so one long-running task ingests as clicks arrive: the worker's CPU is spread evenly instead
    of a burst every second that the redirect would feel in its tail latency. A batch smaller
    than `batch` is then followed by a pause of up to `wait_ms`, so batches do not shrink to a
    click or two, each paying a transaction and the hooks' queries.
    """
    result = IngestResult()
    client = buffer.stream_client()
    if client is None:
        return result  # embedded mode: clicks are written directly
    consumer = consumer or buffer.consumer_name()
    batch = batch or settings.CLICK_INGEST_BATCH
    buffer.buffer_group_ensure(client=client)
    deadline = time.monotonic() + max_seconds
    claiming = True
    while time.monotonic() < deadline:
        entries = []
        if claiming:
            entries = buffer.buffer_claim_stale(client=client, consumer=consumer, count=batch)
            claiming = bool(entries)
        if not entries:
            entries = buffer.buffer_read_new(
                client=client, consumer=consumer, count=batch, block_ms=wait_ms
            )
        if not entries:
            if wait_ms:
                claiming = True  # look for stale entries again now and then
                continue
            break
        started = time.monotonic()
        _ingest_batch(client=client, entries=entries, result=result)
        if wait_ms and len(entries) < batch:
            pause = wait_ms / 1000 - (time.monotonic() - started)
            time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
    return result


def _ingest_batch(*, client, entries: list[buffer.Entry], result: IngestResult) -> None:
    good = [entry for entry in entries if entry.record is not None]
    dead = [entry for entry in entries if entry.record is None]
    inserted, good, refused = _store_apart(good)
    dead += refused
    buffer.buffer_done(client=client, entries=good)
    buffer.buffer_dead_letter(client=client, entries=dead)
    result.read += len(entries)
    result.inserted += inserted
    result.dead += len(dead)


def _store_apart(entries: list[buffer.Entry]) -> tuple[int, list[buffer.Entry], list[buffer.Entry]]:
    """Store the entries; (rows inserted, entries stored, entries the database refused).

    One bad record must not block the stream nor its batch: a batch the database refuses is
    stored again in halves, down to the record refused alone, which is set aside (dead letter)
    with its reason logged; a bad click among a thousand costs about twenty statements, not a
    thousand. click_from_record makes the known bad values (NUL, lone surrogates, over-long
    text, a bad address) storable, so this is the fallback for what it does not know.
    OperationalError (PostgreSQL down) is not caught: what was not stored stays pending.
    """
    if not entries:
        return 0, [], []
    try:
        return len(clicks_store(buffered=[_buffered(entry) for entry in entries])), entries, []
    except (DataError, IntegrityError, UnicodeEncodeError):
        if len(entries) == 1:
            logger.exception("click entry %s refused by the database", entries[0].entry_id)
            return 0, [], entries
    middle = len(entries) // 2
    first, second = _store_apart(entries[:middle]), _store_apart(entries[middle:])
    return first[0] + second[0], first[1] + second[1], first[2] + second[2]


def _buffered(entry: buffer.Entry) -> Buffered:
    assert entry.record is not None
    return Buffered(record=entry.record, unique=entry.unique, capped=entry.capped)
