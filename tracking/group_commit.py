"""Group commit within one process: concurrent callers share one round trip.

The first caller becomes the leader: it runs everything queued so far as one batch, hands each
waiting thread its result, then passes the lead to the first caller that queued meanwhile.
Alone, a caller runs its own batch of one. Two users: the redirect's Redis appends
(tracking/clicks/resp.py: one write and one read serve many clicks) and the callback endpoint's
statements (tracking/callbacks/store.py: one click read and one multi-row INSERT serve many
callbacks; callers inside a transaction never batch there, so every caller answered is
committed). If a batch fails, every caller of it gets an error and the leader raises the
original.
"""

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from django.db import DatabaseError

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Waiter(Generic[Item, Result]):
    __slots__ = ("error", "item", "leads", "lock", "result")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.leads = False
        self.lock = threading.Lock()
        self.lock.acquire()  # released by whoever has our result, or makes us the leader


def _database_error(exc: BaseException) -> BaseException:
    return DatabaseError(f"batch failed: {exc!r}")


class GroupCommit(Generic[Item, Result]):
    """`call(item)` returns `run([... item ...])[its index]`, sharing `run` with concurrent
    callers. `run` gets 1 to MAX_BATCH items and returns one result per item, in order."""

    MAX_BATCH = 128

    def __init__(
        self,
        run: Callable[[Sequence[Item]], Sequence[Result]],
        *,
        max_batch: int = MAX_BATCH,
        follower_error: Callable[[BaseException], BaseException] | None = None,
    ) -> None:
        self.run = run
        self.max_batch = max_batch
        self.follower_error = follower_error or _database_error
        self._mutex = threading.Lock()
        self._queue: list[_Waiter[Item, Result]] = []
        self._busy = False

    def call(self, item: Item) -> Result:
        me: _Waiter[Item, Result] = _Waiter(item)
        with self._mutex:
            self._queue.append(me)
            leads = not self._busy
            self._busy = True
        if not leads:
            me.lock.acquire()
            if not me.leads:
                return self._result(me)
        with self._mutex:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
        try:
            self._flush(batch, me)
        finally:
            # Whatever happened, the lead passes on: no caller may wait forever.
            with self._mutex:
                if self._queue:
                    following = self._queue[0]
                    following.leads = True
                    following.lock.release()
                else:
                    self._busy = False
        return self._result(me)

    @staticmethod
    def _result(waiter: "_Waiter[Item, Result]") -> Result:
        if waiter.error is not None:
            raise waiter.error
        return waiter.result  # type: ignore[return-value]

    def _flush(self, batch: list["_Waiter[Item, Result]"], leader: "_Waiter[Item, Result]") -> None:
        try:
            results = self.run([waiter.item for waiter in batch])
            if len(results) != len(batch):
                raise DatabaseError(f"a batch of {len(batch)} gave {len(results)} results")
        except BaseException as exc:
            # The leader raises the original; the others an error of their own (one exception
            # object raised in several threads would share its traceback).
            for waiter in batch:
                if waiter is not leader:
                    waiter.error = self.follower_error(exc)
                    waiter.error.__cause__ = exc
                    waiter.lock.release()
            raise
        for waiter, result in zip(batch, results, strict=True):
            waiter.result = result
            if waiter is not leader:
                waiter.lock.release()
