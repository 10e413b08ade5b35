"""Inbox retention: refused callbacks are deleted after CALLBACK_REFUSED_KEEP_DAYS.

Every callback is kept as received, including those refused at the door (`rejected_auth`, kept
so the advertiser can debug its sender) and those attribution refused (processed without a
conversion: unknown_click, duplicate_txn, ...). An unauthenticated caller can make many of both,
so they are not kept forever. A row that made a conversion, or is still waiting to be
attributed, is never deleted here: the conversion points at it (PROTECT), and it is the evidence
for money.
"""

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from tracking.models import CallbackInbox

PURGE_BATCH = 1000
# One run hands over to the next scheduled one after this long.
PURGE_SECONDS = 60.0


def _refused(*, before: datetime) -> QuerySet[CallbackInbox]:
    return CallbackInbox.objects.filter(
        Q(state=CallbackInbox.State.REJECTED_AUTH)
        | Q(state=CallbackInbox.State.PROCESSED, conversion__isnull=True),
        received_at__lt=before,
    )


def callback_inbox_refused_purge(
    *, now: datetime | None = None, batch: int = PURGE_BATCH, seconds: float = PURGE_SECONDS
) -> int:
    """Delete refused inbox rows older than the retention, oldest first, `batch` rows per
    statement (short transactions, no long lock on the inbox). Returns how many were deleted."""
    before = (now or timezone.now()) - timedelta(days=settings.CALLBACK_REFUSED_KEEP_DAYS)
    deadline = time.monotonic() + seconds
    total = 0
    while True:
        ids = list(_refused(before=before).order_by("id").values_list("id", flat=True)[:batch])
        if not ids:
            return total
        # The same conditions again: a row cannot gain a conversion once processed, but the
        # database is the one to say what is deleted.
        deleted, _ = _refused(before=before).filter(id__in=ids).delete()
        total += deleted
        if len(ids) < batch or time.monotonic() > deadline:
            return total
