"""The click stream split into shards (CLICK_STREAM_SHARDS) on the plain Redis: the default is
one stream of the historical name; with shards, clicks spread over them by visitor, readiness
counts every shard's lag, and the ingest drains them all, each click once."""

import uuid

import pytest
from django.test import override_settings
from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from core.streams import click_stream_keys, click_stream_state, shard_tags
from tests.tracking.clicks.visits import visit
from tracking.clicks import buffer
from tracking.clicks.ingest import clicks_ingest
from tracking.models import Click

pytestmark = [pytest.mark.django_db]


def test_by_default_the_stream_is_one_key_of_its_historical_name(settings):
    settings.CLICK_UNIQUE_BUCKETS = 1000
    assert click_stream_keys() == [settings.CLICK_STREAM_KEY]
    # 2026-12-01 12:00:00 UTC (`date -u -d @1796126400`) is second 43,200 of day 20,788; the
    # digest's first 8 hex digits pick the bucket (0xabababab % 1000 = 539), the next 8 the field.
    noon = 1_796_126_400
    keys, marker = buffer.append_keys(repeat_key="ab" * 16, cap_flag_keys=["cap"], now=noon)
    assert keys == [
        settings.CLICK_STREAM_KEY,
        "affnet:uq:20788:539",
        "affnet:uq:20787:539",
        "affnet:uniq:" + "ab" * 16,
        "cap",
    ]
    assert (marker.field, marker.second, marker.expire_at) == (
        "2880154539",
        43_200,
        noon + 43_200 + 86_400,
    )


@pytest.mark.parametrize("shards", [1, 2, 3, 5, 6, 12])
def test_shard_i_hashes_into_the_ith_part_of_the_slot_space(shards):
    for index, tag in enumerate(shard_tags(shards)):
        low = index * REDIS_CLUSTER_HASH_SLOTS // shards
        high = (index + 1) * REDIS_CLUSTER_HASH_SLOTS // shards
        assert low <= key_slot(tag.encode()) < high


@pytest.fixture
def sharded(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    key = f"affnet:test-shards:{uuid.uuid4().hex[:8]}"
    with override_settings(CLICK_STREAM_KEY=key, CLICK_STREAM_SHARDS=3):
        yield buffer.stream_client()
        client = buffer.stream_client()
        client.delete(*click_stream_keys())


def test_sharded_clicks_are_counted_by_readiness_and_ingested_once(client, link, sharded):
    for n in range(30):
        assert visit(client, f"/c/{link.code}", ip=f"10.1.0.{n + 1}").status_code == 302
    lengths = [sharded.xlen(key) for key in click_stream_keys()]
    assert sum(lengths) == 30
    assert all(lengths)
    assert click_stream_state(client=sharded).lag == 30

    assert clicks_ingest(consumer="one", max_seconds=1).inserted == 30
    assert Click.objects.count() == 30
    state = click_stream_state(client=sharded)
    assert (state.length, state.lag, state.pending) == (0, 0, 0)
