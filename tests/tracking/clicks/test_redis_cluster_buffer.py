"""The click buffer and repeat markers on a Redis Cluster (CLICK_REDIS_MODE=cluster).

A real three-primary cluster is started for this module (deploy/rehearsal/redis_cluster.py,
about a second); Django's cache and the broker stay on the plain Redis of the test run.
"""

import shutil
import uuid
from datetime import UTC, datetime

import pytest
from django.test import override_settings
from redis.crc import key_slot

from deploy.rehearsal.redis_cluster import RedisClusterNodes
from offers.models import Cap
from tests import factories
from tests.tracking.clicks.visits import visit
from tracking.caps import cap_period_start, cap_reached_set
from tracking.clicks import buffer
from tracking.clicks.ingest import clicks_ingest
from tracking.models import Click

pytestmark = [pytest.mark.django_db]

SHARDS = 6


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("needs redis-server")
    nodes = RedisClusterNodes(tmp_path_factory.mktemp("cluster"), server).start()
    yield nodes
    nodes.stop()


@pytest.fixture
def clustered(settings, redis_cluster):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    buffer.redis_client_reset()
    with override_settings(
        CLICK_REDIS_MODE="cluster",
        CLICK_REDIS_CLUSTER_URL=[redis_cluster.urls[0]],
        CLICK_STREAM_SHARDS=SHARDS,
        CLICK_STREAM_KEY=f"affnet:test-cluster:{uuid.uuid4().hex[:8]}",
        CLICK_STREAM_CLAIM_IDLE_MS=0,
    ):
        yield buffer.stream_client()
        buffer.redis_client_reset()
    buffer.redis_client_reset()


def _node_of(client, key: str) -> str:
    return client.get_node_from_key(key).name


def test_the_keys_of_one_append_share_a_hash_slot(clustered):
    for n in range(200):
        keys, _marker = buffer.append_keys(
            repeat_key=f"{n:032x}", cap_flag_keys=[], now=1_796_126_400
        )
        assert len({key_slot(key.encode()) for key in keys}) == 1


def test_the_shards_spread_over_every_primary_of_an_evenly_split_cluster(clustered):
    keys = buffer.stream_keys()
    assert len(keys) == SHARDS
    assert len({_node_of(clustered, key) for key in keys}) == 3


def test_clicks_appended_across_shards_are_ingested_exactly_once(client, link, clustered):
    for n in range(60):
        response = visit(client, f"/c/{link.code}", ip=f"10.0.{n // 200}.{n % 200 + 1}")
        assert response.status_code == 302
    # A repeat visitor lands on the shard of its first visit and is flagged not unique.
    visit(client, f"/c/{link.code}", ip="10.0.0.1")
    lengths = [clustered.xlen(key) for key in buffer.stream_keys()]
    assert sum(lengths) == 61
    assert sum(1 for length in lengths if length) >= 4
    assert not Click.objects.exists()

    # An ingester reads part of the buffer and dies before acknowledging it...
    buffer.buffer_group_ensure(client=clustered)
    taken = buffer.buffer_read_new(client=clustered, consumer="dead-ingester", count=25)
    assert taken
    # ...two others drain everything, the dead one's entries included, once.
    first = clicks_ingest(consumer="ingester-1", max_seconds=2, batch=20)
    second = clicks_ingest(consumer="ingester-2", max_seconds=1, batch=20)
    assert first.inserted + second.inserted == 61

    ids = list(Click.objects.values_list("click_id", flat=True))
    assert len(ids) == len(set(ids)) == 61
    assert Click.objects.filter(is_unique=False).count() == 1
    for key in buffer.stream_keys():
        assert clustered.xlen(key) == 0
        assert clustered.xpending(key, "ingest")["pending"] == 0
    # Ingesting again finds nothing left to write.
    assert clicks_ingest(consumer="ingester-1", max_seconds=0.5).inserted == 0


def test_a_cap_flag_on_the_plain_redis_still_caps_a_click_buffered_on_the_cluster(
    client, link, clustered, offer
):
    cap = factories.CapFactory(offer=offer, period=Cap.Period.DAY)
    now = datetime.now(UTC)
    cap_reached_set(
        cap_id=cap.id, period_start=cap_period_start(period="day", now=now), reached=True
    )
    visit(client, f"/c/{link.code}")
    clicks_ingest(consumer="ingester-1", max_seconds=1)
    assert Click.objects.get().fallback_reason == Click.Reason.CAP_REACHED
