"""The endpoint's statements without the ORM store what the ORM would, one row or a batch."""

import pytest
from django.db import connection

from tests.tracking.conversions.conftest import world_build
from tracking.callbacks import store
from tracking.models import CallbackInbox

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS = [f.name for f in CallbackInbox._meta.concrete_fields if not f.primary_key]


def _row(n: int, **kwargs) -> CallbackInbox:
    return CallbackInbox(
        dialect="s2s",
        method="GET",
        path="/postback",
        params={"txn_id": f"T{n}", "amount": "1.5"},
        headers={"User-Agent": "ua"},
        click_id=f"CLICK{n}",
        **kwargs,
    )


def _stored(pk: int) -> dict:
    return {name: getattr(CallbackInbox.objects.get(pk=pk), name) for name in FIELDS}


def test_a_row_inserted_without_the_orm_equals_one_saved_with_it():
    world = world_build()
    kwargs = {"advertiser_id": world.advertiser.id, "remote_ip": "2001:db8::1"}
    fast, orm = _row(1, **kwargs), _row(1, **kwargs)
    store.inbox_insert(row=fast)
    orm.save(force_insert=True)
    assert fast.pk is not None and fast.pk != orm.pk
    mine, theirs = _stored(fast.pk), _stored(orm.pk)
    assert mine.pop("received_at") <= theirs.pop("received_at")
    assert mine == theirs


@pytest.mark.skipif(connection.vendor != "postgresql", reason="batches are PostgreSQL's")
def test_a_batch_returns_each_row_its_own_id_in_order():
    rows = [_row(n, remote_ip=None if n % 2 else "203.0.113.9") for n in range(5)]
    values = [
        [f.get_db_prep_save(f.pre_save(row, True), connection) for f in store._FIELDS]
        for row in rows
    ]
    ids = store._insert_many("default", [(row, None) for row in values])
    assert len(set(ids)) == 5
    for n, pk in enumerate(ids):
        stored = CallbackInbox.objects.get(pk=pk)
        assert (stored.click_id, stored.params["txn_id"]) == (f"CLICK{n}", f"T{n}")
        assert stored.remote_ip == (None if n % 2 else "203.0.113.9")
        assert (stored.state, stored.processed_at, stored.auth_deferred) == (
            "received",
            None,
            False,
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="batches are PostgreSQL's")
def test_a_batched_click_read_matches_each_click_to_its_offer():
    world = world_build()
    other = world.new_click()
    keys = [
        (world.click.click_id, world.click.created_at),
        ("01ARZ3NDEKTSV4RRFFQ69G5FAV", world.click.created_at),
        (other.click_id, other.created_at),
        (other.click_id, world.click.created_at),  # the right id at the wrong time: no such row
    ]
    assert store._click_read_many("default", keys) == [world.offer.id, None, world.offer.id, None]
