"""Group commit within one process: concurrent callers share one round trip.

The first caller becomes the leader: it runs everything queued so far as one batch, hands each
waiting thread its result, then passes the lead to the first caller that queued meanwhile.
Alone, a caller runs its own batch of one. Two users: the redirect's Redis appends
(tracking/clicks/resp.py: one write and one read serve many clicks) and the callback endpoint's
statements (tracking/callbacks/store.py: one click read and one multi-row INSERT serve many
callbacks; callers inside a transaction never batch there, so every caller answered is
committed).

One bad item never fails its neighbours: a batch that fails with an error an item can cause
(`item_error`: a value the database refuses, say) is retried in halves, down to the item that
fails alone, which gets that error; the others get their results. A batch that fails otherwise
(PostgreSQL down) fails every caller of it: the leader raises the original, the others an error
of their own.
"""

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from django.db import DatabaseError, DataError, IntegrityError

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


def _caused_by_an_item(exc: BaseException) -> bool:
    """A value PostgreSQL refuses (a NUL, a bad address), a constraint one row breaks, or text
    with no UTF-8 spelling: errors of one item, not of the batch."""
    return isinstance(exc, DataError | IntegrityError | UnicodeEncodeError)


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
        item_error: Callable[[BaseException], bool] = _caused_by_an_item,
    ) -> None:
        self.run = run
        self.max_batch = max_batch
        self.follower_error = follower_error or _database_error
        self.item_error = item_error
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
            outcomes = self._outcomes(batch)
        except BaseException as exc:
            # The leader raises the original; the others an error of their own (one exception
            # object raised in several threads would share its traceback).
            for waiter in batch:
                if waiter is not leader:
                    waiter.error = self.follower_error(exc)
                    waiter.error.__cause__ = exc
                    waiter.lock.release()
            raise
        for waiter, (result, error) in zip(batch, outcomes, strict=True):
            waiter.result, waiter.error = result, error
            if waiter is not leader:
                waiter.lock.release()

    def _outcomes(
        self, batch: Sequence["_Waiter[Item, Result]"]
    ) -> list[tuple[Result | None, BaseException | None]]:
        """(result, None) or (None, the item's own error) per waiter. Raises what fails the
        batch as a whole."""
        try:
            results = self.run([waiter.item for waiter in batch])
            if len(results) != len(batch):
                raise DatabaseError(f"a batch of {len(batch)} gave {len(results)} results")
        except Exception as exc:
            if not self.item_error(exc):
                raise
            if len(batch) == 1:
                return [(None, exc)]
            # Halves, not one by one: a bad item among 128 costs about 14 runs, not 128.
            middle = len(batch) // 2
            return self._retried(batch[:middle]) + self._retried(batch[middle:])
        return [(result, None) for result in results]

    def _retried(
        self, part: Sequence["_Waiter[Item, Result]"]
    ) -> list[tuple[Result | None, BaseException | None]]:
        # A part that fails as a whole (PostgreSQL gone meanwhile) fails its own callers only:
        # the other part may be committed and answered already.
        try:
            return self._outcomes(part)
        except Exception as exc:
            errors = [self.follower_error(exc) for _ in part]
            for error in errors:
                error.__cause__ = exc
            return [(None, error) for error in errors]
