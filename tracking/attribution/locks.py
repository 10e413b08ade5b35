"""The per-click lock attribution holds while it decides whether a click and goal are converted.

A batch reads which (click, goal) pairs already have a conversion, decides, then inserts. Two
workers holding callbacks of one click would both read "not yet" before either commits, so each
batch first takes a transaction-scoped advisory lock per click it attributes: the second waits
until the first commits, and its read then sees the first's conversion. The lock is per click,
not per click and goal, because a callback's goal is resolved only while deciding; callbacks of
one click in two workers at once are rare, so the coarser lock costs nothing. The partial unique
index `conversion_once_per_click_and_goal` stays as the backstop.

Locks are taken in key order in one statement, before the caps' row locks (context.py), so two
batches never wait on each other in a cycle.
"""

import hashlib

from django.db import connection

# pg_advisory_xact_lock(int, int): the first key names this lock family among the project's
# (payouts/locks.py holds another).
_CLICK_LOCK_FAMILY = 0x636B


def _key(click_id: str) -> int:
    """A signed 32-bit key for a click id (a collision only makes two clicks share a lock)."""
    digest = hashlib.blake2b(click_id.encode("utf-8", "replace"), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


def clicks_attribution_lock(*, click_ids: list[str]) -> None:
    """Hold each click's attribution lock until the current transaction ends.

    SQLite (embedded mode) has one writer at a time already, so there is nothing to take.
    """
    if connection.vendor != "postgresql" or not click_ids:
        return
    keys = sorted({_key(click_id) for click_id in click_ids})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, key))"
            " FROM (SELECT unnest(%s::int[]) AS key ORDER BY 1) AS keys",
            [_CLICK_LOCK_FAMILY, keys],
        )
