"""Finding a click by its id, for attribution.

A conversion can arrive while its click still waits in the Redis stream (production), so this
looks in PostgreSQL, then in the stream, then in PostgreSQL again (the ingester may have moved
it in between). The stream holds only clicks not yet ingested, and an entry's id is the Redis
time of its XADD, which is within milliseconds of the time in the ULID; so only the entries
nearest that time are read, in each shard at most CLICK_BUFFER_LOOKUP_MAX before it and as many
after it (XREVRANGE and XRANGE, every shard's in one pipeline), within BUFFER_WINDOW.

That bound is what an unauthenticated callback naming a made-up click id can cost. With a backlog
of 200,000 entries in 20 s (ingestion stalled), the former scan of up to 50,000 entries of a
60 s window took about 1 s per lookup; this reads at most 2,000 entries per shard by default
(about 40 ms on the same backlog). A click further than that from its own time in a very deep
backlog is not found here: its callback then waits for the click to reach PostgreSQL
(ATTRIBUTION_CLICK_WAIT_SECONDS), as when Redis is down.
"""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import redis
from django.conf import settings

from tracking.clicks import buffer
from tracking.clicks.ids import click_id_is_valid, click_id_time
from tracking.clicks.records import click_from_record
from tracking.models import Click, Conversion

BUFFER_WINDOW = timedelta(seconds=30)


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
    middle = f"{int(at.timestamp() * 1000)}-0"
    most = settings.CLICK_BUFFER_LOOKUP_MAX
    # A click's shard follows its visitor, not its id: each shard's nearest entries are read.
    pipe = client.pipeline(transaction=False)
    for key in buffer.stream_keys():
        pipe.xrange(key, min=middle, max=str(high), count=most)
        pipe.xrevrange(key, max=middle, min=str(low), count=most)
    needle = f'"id":"{click_id}"'.encode()
    try:
        replies = pipe.execute()
    except redis.RedisError:
        # Redis (or a cluster primary) is away: not found here, as when Redis is down; the
        # callback is stored all the same and attribution looks again later.
        return None
    for entries in replies:
        for entry in buffer.entries_decode([e for e in entries if needle in e[1].get(b"d", b"")]):
            if entry.record is not None:
                return click_from_record(
                    record=entry.record, unique=entry.unique, capped=entry.capped
                )
    return None


Place = tuple[str, str, int | None, int | None]


def _place(click: Click) -> Place:
    return (click.country, click.device, click.creative_id, click.landing_variant_id)


def clicks_place(conversions: list[Conversion], *, known: Mapping[str, Click]) -> dict[int, Place]:
    """Country, device, creative and landing variant of each conversion's click, by conversion
    id (the ids None when the click had none).

    A click in `known` (its id and time matching the conversion's) is not read again.

    They live on the click only (still buffered or in PostgreSQL); a click
    already dropped leaves them empty. One read names each click by id and by the time the
    conversion copied from it, so PostgreSQL reads only those days' partitions; a click not
    found so (still buffered, or written otherwise) is looked for by click_find.

    The rollups (reports.services) are given this, through tracking.hooks, for the conversions
    they have not counted yet.
    """
    places: dict[int, Place] = {}
    unknown: list[Conversion] = []
    for conversion in conversions:
        click = known.get(conversion.click_id)
        if click is not None and click.created_at == conversion.click_created_at:
            places[conversion.pk] = _place(click)
        else:
            unknown.append(conversion)
    if not unknown:
        return places
    found: dict[tuple[str, Any], Place] = {
        (click_id, created_at): (country, device, creative_id, landing_variant_id)
        for click_id, created_at, country, device, creative_id, landing_variant_id in (
            Click.objects.filter(
                click_id__in={c.click_id for c in unknown},
                created_at__in={c.click_created_at for c in unknown},
            ).values_list(
                "click_id", "created_at", "country", "device", "creative_id", "landing_variant_id"
            )
        )
    }
    for conversion in unknown:
        place = found.get((conversion.click_id, conversion.click_created_at))
        if place is None:
            click = click_find(click_id=conversion.click_id)
            place = _place(click) if click else ("", "", None, None)
        places[conversion.pk] = place
    return places
