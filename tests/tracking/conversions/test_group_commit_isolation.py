"""One bad callback never fails its group commit's neighbours.

Concurrent callbacks share one multi-row INSERT (tracking/group_commit.py). A value PostgreSQL
refuses is stopped at the door (400 `invalid_characters`); should one ever slip past, the batch
that fails is retried in halves and only the row that fails alone is refused.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import DataError, connection

from tests.tracking.conversions.conftest import SECRET, world_build
from tests.tracking.conversions.test_malformed_callbacks import lean
from tracking.callbacks import store
from tracking.group_commit import GroupCommit
from tracking.models import CallbackInbox

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="group commit is PostgreSQL's (one writer)"
    ),
]

N = 40
POISONED = 17


@pytest.fixture
def batches(monkeypatch):
    """Holds the first insert until N callbacks are queued behind it, so they are committed as
    one batch; records each batch's size and whether it failed (the real insert runs)."""
    seen: list[tuple[int, bool]] = []
    gate = threading.Event()
    real = store._insert_many

    def insert_many(alias, items):
        if not seen:
            seen.append((len(items), False))
            gate.wait(10)
        else:
            seen.append((len(items), False))
        try:
            return real(alias, items)
        except Exception:
            seen[-1] = (len(items), True)
            raise

    monkeypatch.setattr(store, "_batchers", {})
    monkeypatch.setattr(store, "_insert_many", insert_many)
    return seen, gate


def _queued(count: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        batcher = store._batchers.get(("insert", "default"))
        if batcher is not None and len(batcher._queue) >= count:
            return
        time.sleep(0.01)
    raise AssertionError("the callbacks never queued behind the first")


def _send_all(world, poison: str, batches, *, queued: int) -> list[tuple[int, bytes]]:
    seen, gate = batches
    clicks = [world.new_click() for _ in range(N)]

    def send(index: int) -> tuple[int, bytes]:
        try:
            txn = f"T{index}" + (poison if index == POISONED else "")
            query = f"click_id={clicks[index].click_id}&txn_id={txn}&token={SECRET}"
            status, body, _ = lean("/postback", query)
            return status, body
        finally:
            connection.close()

    def send_first() -> int:
        try:
            return lean("/postback", f"click_id={world.click.click_id}&token={SECRET}")[0]
        finally:
            connection.close()

    with ThreadPoolExecutor(N + 1) as pool:
        first = pool.submit(send_first)
        while not seen:
            time.sleep(0.01)
        answers = pool.map(send, range(N))
        _queued(queued)
        gate.set()
        answers = list(answers)
        assert first.result() == 200
    return answers


def _stored_txns(world) -> set[str]:
    rows = CallbackInbox.objects.exclude(click_id=world.click.click_id)
    return {params["txn_id"] for params in rows.values_list("params", flat=True)}


def test_a_nul_is_refused_at_the_door_and_its_concurrent_neighbours_are_stored(batches):
    world = world_build()
    answers = _send_all(world, "%00", batches, queued=N - 1)
    assert [status for status, _ in answers] == [
        400 if index == POISONED else 200 for index in range(N)
    ]
    assert b'"invalid_characters"' in answers[POISONED][1]
    assert _stored_txns(world) == {f"T{index}" for index in range(N) if index != POISONED}


def test_a_poisoned_row_that_slips_past_the_door_fails_alone_and_its_neighbours_are_stored(
    batches, monkeypatch
):
    # As if the door's check missed it: the NUL reaches PostgreSQL, which refuses its row.
    monkeypatch.setattr("tracking.callbacks.views.unstorable_parameter", lambda pairs: None)
    world = world_build()
    answers = _send_all(world, "%00", batches, queued=N)
    statuses = [status for status, _ in answers]
    assert statuses == [400 if index == POISONED else 200 for index in range(N)]
    assert b'"unstorable"' in answers[POISONED][1]
    assert _stored_txns(world) == {f"T{index}" for index in range(N) if index != POISONED}
    seen, _ = batches
    # The poisoned row really shared a batch with good ones, which failed as a whole first.
    assert any(size > 1 and failed for size, failed in seen), seen
    # Halves, not one by one: far fewer statements than rows.
    assert len(seen) < N // 2, seen


def test_an_item_error_is_given_to_its_own_caller_only():
    def run(items):
        if "bad" in items:
            raise DataError("refused")
        return [item.upper() for item in items]

    commit = GroupCommit(run)
    barrier = threading.Barrier(8)

    def call(item):
        barrier.wait()
        try:
            return commit.call(item)
        except DataError:
            return "refused"

    items = ["a", "b", "c", "bad", "d", "e", "f", "g"]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(call, items)) == ["A", "B", "C", "refused", "D", "E", "F", "G"]
