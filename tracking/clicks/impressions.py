"""Impression counting: one HINCRBY per pixel load, flushed into hourly rows by a task.

Pixels are far more numerous than clicks and only their count matters, so each load adds one to
a Redis hash field named after its hour, offer and publisher. The flush renames the hash away
(atomic: loads from then on start a new hash), adds its counts to `Impression` rows and records
the batch's token in `ImpressionFlush` in the same transaction, then deletes the renamed hash.
A flush that died after commit leaves the renamed hash behind; the next flush finds its token
already recorded and just deletes it, so nothing is counted twice. The embedded mode (no Redis)
adds to the row directly.
"""

import secrets
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F

from tracking.clicks import buffer
from tracking.hooks import after_impressions_counted
from tracking.models import Impression, ImpressionFlush

COUNTS_KEY = "affnet:imp:counts"
FLUSH_PREFIX = "affnet:imp:flush:"

_RENAME_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  return 1
end
return 0
"""


def _hour(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def impression_count(*, offer_id: int, publisher_id: int) -> None:
    hour = _hour(datetime.now(UTC))
    client = buffer.redis_client()
    if client is not None:
        buffer.hot_call(
            b"HINCRBY", COUNTS_KEY, f"{int(hour.timestamp())}:{offer_id}:{publisher_id}", 1
        )
        return
    _add_counts({(hour, offer_id, publisher_id): 1})


def impressions_flush() -> int:
    """Move counted impressions into PostgreSQL. Returns how many impressions were added."""
    client = buffer.redis_client()
    if client is None:
        return 0
    added = 0
    leftovers = [key.decode() for key in client.scan_iter(match=FLUSH_PREFIX + "*", count=100)]
    token = secrets.token_hex(16)
    if client.eval(_RENAME_LUA, 2, COUNTS_KEY, FLUSH_PREFIX + token):
        leftovers.append(FLUSH_PREFIX + token)
    for key in leftovers:
        batch_token = key.removeprefix(FLUSH_PREFIX)
        counts: dict[tuple[datetime, int, int], int] = {}
        for field, value in client.hgetall(key).items():
            stamp, offer_id, publisher_id = (int(part) for part in field.split(b":"))
            hour = datetime.fromtimestamp(stamp, tz=UTC)
            counts[(hour, offer_id, publisher_id)] = int(value)
        with transaction.atomic():
            _, created = ImpressionFlush.objects.get_or_create(token=batch_token)
            if created:
                _add_counts(counts)
                added += sum(counts.values())
        client.delete(key)
    return added


def _add_counts(counts: dict[tuple[datetime, int, int], int]) -> None:
    with transaction.atomic():
        for (hour, offer_id, publisher_id), count in counts.items():
            row, created = Impression.objects.get_or_create(
                hour=hour, offer_id=offer_id, publisher_id=publisher_id, defaults={"count": count}
            )
            if not created:
                Impression.objects.filter(id=row.id).update(count=F("count") + count)
        after_impressions_counted(
            counts=[
                (hour, offer, publisher, count)
                for (hour, offer, publisher), count in counts.items()
            ]
        )
