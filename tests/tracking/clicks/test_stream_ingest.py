"""The stream-to-PostgreSQL path on the real Redis and PostgreSQL of the test run."""

import pytest
from django.test import override_settings

from tests.tracking.clicks.visits import ingest, visit
from tracking import hooks
from tracking.clicks import buffer
from tracking.clicks.ids import click_id_new
from tracking.clicks.ingest import clicks_ingest
from tracking.clicks.lookup import click_find
from tracking.clicks.store import Buffered, clicks_store
from tracking.models import Click

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def redis_client(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    return buffer.redis_client()


@pytest.fixture
def hooked(monkeypatch):
    """Every batch handed to after_clicks_ingested, as the ingester calls it."""
    batches = []
    original = hooks.after_clicks_ingested

    def record(*, clicks):
        batches.append([click.click_id for click in clicks])
        original(clicks=clicks)

    monkeypatch.setattr("tracking.clicks.store.after_clicks_ingested", record)
    return batches


def _record(offer_id: int, publisher_id: int) -> dict:
    return {"id": click_id_new(), "o": offer_id, "p": publisher_id, "ua": "Mozilla/5.0", "s": []}


def test_a_redirected_click_waits_in_the_stream_until_the_ingester_writes_it(
    client, link, redis_client, settings, hooked
):
    visit(client, f"/c/{link.code}")
    assert redis_client.xlen(settings.CLICK_STREAM_KEY) == 1
    assert not Click.objects.exists()
    result = ingest()
    assert (result.read, result.inserted) == (1, 1)
    click = Click.objects.get()
    assert hooked == [[click.click_id]]
    # Acknowledged and deleted only after the commit.
    assert redis_client.xlen(settings.CLICK_STREAM_KEY) == 0
    assert (
        redis_client.xpending(settings.CLICK_STREAM_KEY, settings.CLICK_STREAM_GROUP)["pending"]
        == 0
    )


def test_the_same_batch_given_twice_stores_each_click_once(link, hooked):
    batch = [
        Buffered(record=_record(link.offer_id, link.publisher_id), unique=True, capped=False)
        for _ in range(3)
    ]
    first = clicks_store(buffered=batch)
    second = clicks_store(buffered=batch + batch)
    assert len(first) == 3 and second == []
    assert Click.objects.count() == 3
    assert hooked == [[item.record["id"] for item in batch]]  # the hook saw only new clicks


def test_entries_read_by_an_ingester_that_died_are_claimed_back(
    client, link, redis_client, settings
):
    for _ in range(3):
        visit(client, f"/c/{link.code}")
    buffer.buffer_group_ensure(client=redis_client)
    # A consumer reads them and dies before writing: they sit pending under its name.
    taken = buffer.buffer_read_new(client=redis_client, consumer="dead-worker", count=10)
    assert len(taken) == 3
    with override_settings(CLICK_STREAM_CLAIM_IDLE_MS=60_000):
        assert clicks_ingest(consumer="live").inserted == 0  # not idle long enough yet
    with override_settings(CLICK_STREAM_CLAIM_IDLE_MS=0):
        assert clicks_ingest(consumer="live").inserted == 3
    assert Click.objects.count() == 3
    assert redis_client.xlen(settings.CLICK_STREAM_KEY) == 0


def test_the_same_entries_delivered_twice_are_stored_once(client, link, redis_client, settings):
    visit(client, f"/c/{link.code}")
    fields = redis_client.xrange(settings.CLICK_STREAM_KEY)[0][1]
    redis_client.xadd(settings.CLICK_STREAM_KEY, fields)  # a duplicate append
    result = ingest()
    assert (result.read, result.inserted) == (2, 1)
    assert Click.objects.count() == 1


def test_an_undecodable_entry_is_set_aside_and_does_not_block_the_rest(
    client, link, redis_client, settings
):
    redis_client.xadd(settings.CLICK_STREAM_KEY, {"d": b"{not json", "u": 1, "c": 0})
    visit(client, f"/c/{link.code}")
    result = ingest()
    assert (result.read, result.inserted, result.dead) == (2, 1, 1)
    assert redis_client.xlen(settings.CLICK_STREAM_KEY + ":dead") == 1
    assert redis_client.xlen(settings.CLICK_STREAM_KEY) == 0


def test_click_find_sees_a_click_still_in_the_buffer_then_in_postgresql(client, link, redis_client):
    visit(client, f"/c/{link.code}?sub1=abc")
    click_id = client.cookies["affnet_click"].value
    buffered = click_find(click_id=click_id)
    assert buffered is not None and buffered.pk is None
    assert (buffered.offer_id, buffered.publisher_id, buffered.sub1) == (
        link.offer_id,
        link.publisher_id,
        "abc",
    )
    ingest()
    stored = click_find(click_id=click_id)
    assert stored is not None and stored.pk is not None
    assert click_find(click_id=click_id_new()) is None
    assert click_find(click_id="not-a-ulid") is None


def test_the_buffer_refuses_a_redis_that_may_evict_keys(redis_client, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    class Evicting:
        def config_get(self, name):
            return {name: "allkeys-lru"}

    with pytest.raises(ImproperlyConfigured, match="noeviction"):
        buffer.buffer_check_policy(client=Evicting())
    buffer.buffer_check_policy(client=redis_client)  # the real one is configured right


@pytest.mark.sqlite
def test_without_redis_the_click_is_written_directly(client, link, settings, hooked):
    settings.REDIS_URL = None
    buffer.redis_client_reset()
    try:
        response = visit(client, f"/c/{link.code}")
        visit(client, f"/c/{link.code}")
        click = Click.objects.order_by("id").first()
        assert response.status_code == 302 and click is not None
        assert click.click_id == response.cookies["affnet_click"].value
        assert list(Click.objects.order_by("id").values_list("is_unique", flat=True)) == [
            True,
            False,
        ]
        assert len(hooked) == 2
    finally:
        buffer.redis_client_reset()


@pytest.mark.sqlite
def test_the_impression_pixel_counts_directly_without_redis(client, link, settings):
    from tracking.models import Impression

    settings.REDIS_URL = None
    buffer.redis_client_reset()
    try:
        visit(client, f"/i/{link.code}")
        visit(client, f"/i/{link.code}")
        assert Impression.objects.get().count == 2
    finally:
        buffer.redis_client_reset()


def test_the_ingester_builds_clicks_in_the_models_column_order():
    from tracking.clicks.store import COLUMNS

    assert [field.attname for field in Click._meta.concrete_fields] == ["id", *COLUMNS]
