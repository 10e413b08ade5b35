"""Repeat markers kept in day buckets (tracking/clicks/buffer.py APPEND_LUA) answer exactly as a
24 h marker of its own did: a visitor is a repeat for 24 h after the click that made it unique,
across midnight too, and unique again from the 86,400th second on. Driven through the real
append script on Redis with chosen clocks."""

import secrets
import uuid

import pytest
from django.test import override_settings
from redis.crc import key_slot

from tracking.clicks import buffer

pytestmark = pytest.mark.django_db

DAY = 86_400
# 2026-12-01 00:00:00 UTC (`date -u -d @1796083200`).
MIDNIGHT = 1_796_083_200


@pytest.fixture
def stream(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    key = f"affnet:test-markers:{uuid.uuid4().hex[:8]}"
    with override_settings(CLICK_STREAM_KEY=key):
        client = buffer.stream_client()
        yield client
        client.delete(key)


def unique_at(digest: str, now: int) -> bool:
    record = {"id": secrets.token_hex(8), "o": 1, "p": 1}
    return buffer.buffer_append(record=record, unique_key=digest, cap_flag_keys=[], now=now).unique


def a_visitor() -> str:
    return secrets.token_hex(16)


def test_a_visitor_is_a_repeat_for_24_hours_after_the_click_that_made_it_unique(stream):
    visitor, ten = a_visitor(), MIDNIGHT + 10 * 3600
    assert unique_at(visitor, ten)
    assert not unique_at(visitor, ten + 1)
    assert not unique_at(visitor, ten + DAY - 1)  # tomorrow 09:59:59, read from yesterday's bucket
    assert unique_at(visitor, ten + DAY)  # tomorrow 10:00:00: 24 h have passed
    assert not unique_at(visitor, ten + DAY + 3600)  # the new marker, in today's bucket


def test_a_marker_set_just_before_midnight_holds_until_the_same_second_next_day(stream):
    visitor, last_second = a_visitor(), MIDNIGHT + DAY - 1
    assert unique_at(visitor, last_second)
    assert not unique_at(visitor, last_second + 2)  # 00:00:01, the next day
    assert not unique_at(visitor, last_second + DAY - 1)
    assert unique_at(visitor, last_second + DAY)


def test_a_repeat_does_not_push_the_24_hours_further(stream):
    visitor = a_visitor()
    assert unique_at(visitor, MIDNIGHT + 100)
    assert not unique_at(visitor, MIDNIGHT + 50_000)
    assert unique_at(visitor, MIDNIGHT + 100 + DAY)


def test_a_marker_from_two_days_ago_is_gone(stream):
    visitor = a_visitor()
    assert unique_at(visitor, MIDNIGHT + 5)
    assert unique_at(visitor, MIDNIGHT + 2 * DAY + 1)


def test_visitors_sharing_a_bucket_keep_apart(stream, settings):
    settings.CLICK_UNIQUE_BUCKETS = 1
    visitors = [a_visitor() for _ in range(50)]
    assert all(unique_at(visitor, MIDNIGHT + 60) for visitor in visitors)
    assert not any(unique_at(visitor, MIDNIGHT + 61) for visitor in visitors)


def test_a_marker_kept_as_its_own_key_before_the_upgrade_still_counts(stream):
    visitor = a_visitor()
    stream.set(buffer.UNIQUE_PREFIX + visitor, 1, ex=DAY)
    try:
        assert not unique_at(visitor, MIDNIGHT + 60)
    finally:
        stream.delete(buffer.UNIQUE_PREFIX + visitor)
    assert unique_at(visitor, MIDNIGHT + 61)


def test_a_bucket_is_a_compact_listpack_that_expires_when_it_stops_being_yesterday(stream):
    visitor, now = a_visitor(), MIDNIGHT + 7200
    assert unique_at(visitor, now)
    marker = buffer.repeat_marker(visitor, now=now)
    assert stream.object("encoding", marker.today) == b"listpack"
    assert stream.hget(marker.today, marker.field) == b"7200"
    assert stream.expiretime(marker.today) == MIDNIGHT + 2 * DAY


def test_on_shards_every_key_of_one_append_is_in_the_shards_hash_slot(settings):
    with override_settings(CLICK_STREAM_SHARDS=3):
        for _ in range(20):
            keys, _marker = buffer.append_keys(
                repeat_key=a_visitor(), cap_flag_keys=[], now=MIDNIGHT
            )
            assert len({key_slot(key.encode()) for key in keys}) == 1
