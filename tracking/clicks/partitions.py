"""Daily partitions of the clicks table (PostgreSQL only; see migration 0003).

A scheduled task creates the partitions of the next CLICK_PARTITIONS_AHEAD_DAYS days and drops
those older than CLICK_DROP_DAYS: dropping a day is a catalog change, not a DELETE over
millions of rows. Rows that reached the DEFAULT partition (a day without its partition yet) are
moved into the new partition when it is created, in the same transaction that attaches it.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from tracking.models import Click

PREFIX = "_p"


@dataclass
class PartitionReport:
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    default_rows_deleted: int = 0


def _table() -> str:
    return Click._meta.db_table


def partition_name(day: date) -> str:
    return f"{_table()}{PREFIX}{day:%Y%m%d}"


def _bound(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat()


def click_partitions_existing() -> dict[str, date]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [_table()],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = {}
    for name in names:
        suffix = name.removeprefix(_table() + PREFIX)
        if suffix != name and suffix.isdigit():
            found[name] = datetime.strptime(suffix, "%Y%m%d").replace(tzinfo=UTC).date()
    return found


def click_partition_create(*, day: date) -> bool:
    """Create (and fill from DEFAULT) the partition of one UTC day; False if it exists."""
    name = partition_name(day)
    if name in click_partitions_existing():
        return False
    low, high = _bound(day), _bound(day + timedelta(days=1))
    table = _table()
    with transaction.atomic(), connection.cursor() as cursor:
        # Names and bounds come from dates we computed, never from input.
        cursor.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS)")
        move = (
            f"WITH moved AS (DELETE FROM {table}_default WHERE created_at >= %s "  # noqa: S608
            f"AND created_at < %s RETURNING *) INSERT INTO {name} SELECT * FROM moved"
        )
        cursor.execute(move, [low, high])
        cursor.execute(
            f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ('{low}') TO ('{high}')"
        )
    return True


def click_partitions_maintain(*, today: date | None = None) -> PartitionReport:
    report = PartitionReport()
    if connection.vendor != "postgresql":
        return report
    today = today or datetime.now(UTC).date()
    for offset in range(-1, settings.CLICK_PARTITIONS_AHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        if click_partition_create(day=day):
            report.created.append(partition_name(day))
    oldest_kept = today - timedelta(days=settings.CLICK_DROP_DAYS)
    for name, day in sorted(click_partitions_existing().items()):
        if day < oldest_kept:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {name}")
            report.dropped.append(name)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_table()}_default WHERE created_at < %s",  # noqa: S608
            [_bound(oldest_kept)],
        )
        report.default_rows_deleted = cursor.rowcount
    return report
