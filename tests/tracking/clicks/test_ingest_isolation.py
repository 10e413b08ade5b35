"""One bad click never fails its ingest batch: the values PostgreSQL cannot keep are made
storable before the insert, and a record it refuses anyway is set aside alone, its batch
stored in halves rather than row by row."""

import pytest

from tracking.clicks import buffer, ingest
from tracking.clicks.ids import click_id_new
from tracking.clicks.ingest import clicks_ingest
from tracking.models import Click

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores(settings, monkeypatch):
    """How many times the ingester called clicks_store (the real one runs)."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    calls = []
    real = ingest.clicks_store

    def counted(*, buffered):
        calls.append(len(buffered))
        return real(buffered=buffered)

    monkeypatch.setattr(ingest, "clicks_store", counted)
    return calls


def _append(link, **fields) -> str:
    record = {
        "id": click_id_new(),
        "o": link.offer_id,
        "p": link.publisher_id,
        "ua": "Mozilla/5.0",
        "ip": "198.51.100.4",
        "s": ["a", "", "", "", ""],
        **fields,
    }
    digest = buffer.repeat_digest(
        ip=record["ip"], user_agent=record["id"], offer_id=0, publisher_id=0
    )
    buffer.buffer_append(record=record, unique_key=digest, cap_flag_keys=[])
    return record["id"]


def test_a_record_with_a_nul_or_a_lone_surrogate_is_stored_cleaned_with_its_batch(link, stores):
    good = [_append(link) for _ in range(30)]
    odd = _append(
        link,
        s=["a\x00b", "ok", "\ud800", "x" * 300, ""],
        src="web\x00",
        ua="Mozilla\x00/5.0",
        r="https://ref.example/\udfff",
        ip="not-an-address",
    )
    result = clicks_ingest(max_seconds=5)
    assert (result.inserted, result.dead) == (31, 0)
    assert stores == [31]  # one statement: nothing fell back to halves or rows
    click = Click.objects.get(click_id=odd)
    assert (click.sub1, click.sub2, click.sub3, click.sub4, click.source) == ("", "ok", "", "", "")
    assert click.bad_params == "sub1,sub3,sub4,source"
    assert (click.user_agent, click.referrer, click.ip) == (
        "Mozilla/5.0",
        "https://ref.example/?",
        None,
    )
    assert Click.objects.filter(click_id__in=good, bad_params="").count() == 30


def test_a_record_the_database_refuses_is_set_aside_alone_and_its_batch_stored_in_halves(
    link, stores, settings
):
    good = [_append(link) for _ in range(63)]
    refused = _append(link, o=2**70)  # no bigint holds it
    result = clicks_ingest(max_seconds=5)
    assert (result.read, result.inserted, result.dead) == (64, 63, 1)
    assert set(Click.objects.values_list("click_id", flat=True)) == set(good)
    assert not Click.objects.filter(click_id=refused).exists()
    # Halves: about 2 x log2(64) statements, where row by row took 65.
    assert len(stores) <= 14, stores
    dead = buffer.stream_client().xrange(buffer.stream_key() + buffer.DEAD_SUFFIX)
    assert len(dead) == 1
    # Nothing is left pending: the ingester moves on.
    assert clicks_ingest(max_seconds=1).read == 0
