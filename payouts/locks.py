"""The payout locks, always taken in one order: the currency's advisory lock, then batch rows.

Every service that changes which entries a batch holds, or a batch's state, takes its currency's
lock first, for the rest of its transaction. So two finance users building, rebuilding,
approving or paying in one currency at once run one after the other, and the second sees what
the first committed. Writers of new ledger entries take no lock: a new entry is either in a
build's snapshot or not, and if not it simply waits for the next batch. The unique inclusion of
an entry is the backstop should a path ever forget the lock.
"""

from django.db import connection

from payouts.models import PayoutBatch

# pg_advisory_xact_lock(int, int): the first key names this lock family among the project's.
_PAYOUT_LOCK_FAMILY = 0x7061


def payout_currency_lock(*, currency: str) -> None:
    """Hold the currency's payout lock until the current transaction ends.

    SQLite (embedded mode) has one writer at a time already, so there is nothing to take.
    """
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(currency.encode("ascii"), "big")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_PAYOUT_LOCK_FAMILY, key])


def payout_batch_lock(*, batch_id: int) -> PayoutBatch | None:
    """Lock a batch for change: its currency's lock first, then its row. None if it is gone."""
    currency = PayoutBatch.objects.filter(id=batch_id).values_list("currency", flat=True).first()
    if currency is None:
        return None
    payout_currency_lock(currency=currency)
    return PayoutBatch.objects.select_for_update().filter(id=batch_id).first()
