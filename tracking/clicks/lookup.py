"""Finding a click by its id, for attribution.

A conversion can arrive while its click still waits in the Redis stream (production), so this
looks in PostgreSQL, then in the stream, then in PostgreSQL again (the ingester may have moved
it in between). The stream holds only clicks not yet ingested, and an entry's id is the Redis
time of its XADD, which is within milliseconds of the time in the ULID; so only a window of the
stream around that time is read, never the whole stream.
"""

from datetime import timedelta

from tracking.clicks import buffer
from tracking.clicks.ids import click_id_is_valid, click_id_time
from tracking.clicks.store import click_from_record
from tracking.models import Click

BUFFER_WINDOW = timedelta(seconds=30)
BUFFER_SCAN_LIMIT = 50_000


def click_find(*, click_id: str) -> Click | None:
    """The click, from PostgreSQL or still buffered (then unsaved: `pk` is None).

    A click's created_at is its ULID's time, so the first read names it and PostgreSQL reads
    one day's partition only; the last read, by id alone, finds rows written otherwise.
    """
    if not click_id_is_valid(click_id):
        return Click.objects.filter(click_id=click_id).first()
    at = click_id_time(click_id)
    found = Click.objects.filter(click_id=click_id, created_at=at).first()
    if found is not None:
        return found
    buffered = click_find_buffered(click_id=click_id)
    if buffered is not None:
        return Click.objects.filter(click_id=click_id, created_at=at).first() or buffered
    return Click.objects.filter(click_id=click_id).first()


def click_find_buffered(*, click_id: str) -> Click | None:
    client = buffer.stream_client()
    if client is None:
        return None
    at = click_id_time(click_id)
    low = int((at - BUFFER_WINDOW).timestamp() * 1000)
    high = int((at + BUFFER_WINDOW).timestamp() * 1000)
    needle = f'"id":"{click_id}"'.encode()
    # A click's shard follows its visitor, not its id: each shard's window is read.
    for key in buffer.stream_keys():
        entries = client.xrange(key, min=str(low), max=str(high), count=BUFFER_SCAN_LIMIT)
        for entry in buffer.entries_decode([e for e in entries if needle in e[1].get(b"d", b"")]):
            if entry.record is not None:
                return click_from_record(
                    record=entry.record, unique=entry.unique, capped=entry.capped
                )
    return None
