"""Looking up a click still in the Redis stream reads at most CLICK_BUFFER_LOOKUP_MAX entries
each way from the click's own time, however deep the backlog: the cost an unauthenticated
callback naming a made-up click id can cause is bounded."""

import json
import time

import pytest
from ulid import ULID

from tracking.clicks import buffer
from tracking.clicks.lookup import click_find_buffered

pytestmark = pytest.mark.django_db


@pytest.fixture
def stream(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    client = buffer.stream_client()
    key = buffer.stream_keys()[0]
    client.delete(key)
    yield client, key
    client.delete(key)


def _click_id_at(millis: int) -> str:
    return str(ULID.from_timestamp(millis / 1000))


def _entry(record: dict) -> dict:
    # As buffer_append writes it.
    return {"d": json.dumps(record, separators=(",", ":")), "u": 1, "c": 0}


def _fill(client, key: str, start: int, count: int, *, step: int = 1) -> None:
    pipe = client.pipeline(transaction=False)
    for n in range(count):
        record = {"id": _click_id_at(start + n * step), "o": 1, "p": 1}
        pipe.xadd(key, _entry(record), id=f"{start + n * step}-0")
    pipe.execute()


def test_a_click_among_a_deep_backlog_is_found_near_its_own_time(stream, settings):
    client, key = stream
    settings.CLICK_BUFFER_LOOKUP_MAX = 5
    at = int(time.time() * 1000) - 60_000
    _fill(client, key, at - 2_000, 1_000)  # older clicks
    wanted = _click_id_at(at)
    record = {"id": wanted, "o": 7, "p": 8}
    client.xadd(key, _entry(record), id=f"{at}-0")
    _fill(client, key, at + 1, 1_000)  # newer clicks, the nearest a millisecond later

    found = click_find_buffered(click_id=wanted)
    assert found is not None and (found.offer_id, found.publisher_id) == (7, 8)


def test_entries_beyond_the_bound_are_not_read(stream, settings):
    client, key = stream
    settings.CLICK_BUFFER_LOOKUP_MAX = 5
    at = int(time.time() * 1000) - 60_000
    wanted = _click_id_at(at)
    # The click was appended 10 ms after its id's time, behind 9 other clicks of those 10 ms.
    _fill(client, key, at, 9)
    record = {"id": wanted, "o": 7, "p": 8}
    client.xadd(key, _entry(record), id=f"{at + 10}-0")

    assert click_find_buffered(click_id=wanted) is None
    settings.CLICK_BUFFER_LOOKUP_MAX = 10
    assert click_find_buffered(click_id=wanted) is not None
