"""The callback endpoint's two statements, without the ORM's per-call cost.

The endpoint reads one click's offer and inserts one inbox row per request. The ORM builds and
compiles each statement anew (and `save()` loops over fields and sends signals), and Django's
psycopg cursor binds parameters on the client, escaping them in Python: in the endpoint's
profile that was more CPU than the round trips themselves (docs/performance.md). Here each
statement is built once per database vendor; each field still adapts its own value
(`pre_save`, then `get_db_prep_save`, exactly as the ORM does), so the row stored is the one
`save()` would store. CallbackInbox has no save() override and no signal receivers; if it ever
gets one, go back to the ORM here.

On PostgreSQL the statements go through a plain psycopg cursor on Django's own connection (so
the same transaction, and Django's error wrapping, which marks a broken connection for
recycling): server-side binding, and prepared once per connection when connections persist
(DB_CONN_MAX_AGE > 0). With DB_CONN_MAX_AGE=0, the PgBouncer setting (deploy/env.example),
nothing is prepared unless the connection's own `prepare_threshold` says so.

A signed callback's replay key (CallbackReplayKey) is inserted in the same transaction as its
inbox row, with ON CONFLICT DO NOTHING: a batch holding a replay commits its other rows, and
the replay gets no row at all (its id is None).

Callbacks spooled in Redis while PostgreSQL was down come back through `inbox_spooled_insert`,
each at most once: by its spool id (a unique column) and by its replay key.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
    router,
    transaction,
)
from django.utils import timezone

from core.pg_cursor import pg_cursor
from tracking.group_commit import GroupCommit
from tracking.models import CallbackInbox, CallbackReplayKey, Click

_FIELDS = [field for field in CallbackInbox._meta.concrete_fields if not field.primary_key]
_PK = CallbackInbox._meta.pk
_sql: dict[str, tuple[str, bool]] = {}
_many_sql: dict[str, str] = {}


def _statement(connection) -> tuple[str, bool]:
    """The INSERT for this connection's vendor, and whether it returns the new id itself."""
    found = _sql.get(connection.vendor)
    if found is None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in _FIELDS)
        marks = ", ".join(["%s"] * len(_FIELDS))
        table = quote(CallbackInbox._meta.db_table)
        # Only our own table and column names and placeholders: values travel as parameters.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        returning = connection.features.can_return_columns_from_insert
        if returning:
            sql += f" RETURNING {quote(_PK.column)}"
        found = _sql[connection.vendor] = (sql, returning)
    return found


class ReplayKey(NamedTuple):
    """A signed callback's replay key (tracking/callbacks/auth.py: replay_digest)."""

    digest: str
    advertiser_id: int | None


# A row's prepared values, and its replay key as (digest, advertiser_id, received_at) or None.
_Item = tuple[list, tuple[str, int | None, datetime] | None]


def inbox_insert(*, row: CallbackInbox, replay_key: ReplayKey | None = None) -> bool:
    """Insert `row` (unsaved) and set its id, as row.save(force_insert=True) does; with
    `replay_key`, insert that too, in the same transaction.

    False, with nothing inserted, when the replay key was taken already (a replay). Outside a
    transaction the row is committed when this returns.
    """
    alias = router.db_for_write(CallbackInbox, instance=row)
    connection = connections[alias]
    values = [field.get_db_prep_save(field.pre_save(row, True), connection) for field in _FIELDS]
    key = None if replay_key is None else (*replay_key, timezone.now())
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        pk = _inserts(alias).call((values, key))
    elif connection.vendor == "postgresql":
        pk = _insert_many(alias, [(values, key)])[0]
    else:
        pk = _insert_other(alias, values, key)
    if pk is None:
        return False
    row.pk = pk
    row._state.adding = False
    row._state.db = alias
    return True


def _insert_other(alias: str, values: list, key: tuple | None) -> int | None:
    """The insert on databases other than PostgreSQL (the embedded SQLite)."""
    connection = connections[alias]
    sql, returning = _statement(connection)
    with transaction.atomic(using=alias, savepoint=False), connection.cursor() as cursor:
        if key is not None:
            cursor.execute(_replay_statement(connection), [*key[:2], _stamp(connection, key[2])])
            if cursor.rowcount != 1:
                return None
        cursor.execute(sql, values)
        if returning:
            return cursor.fetchone()[0]
        return connection.ops.last_insert_id(cursor, CallbackInbox._meta.db_table, _PK.column)


def _stamp(connection, at: datetime):
    return CallbackReplayKey._meta.get_field("received_at").get_db_prep_value(at, connection)


def _replay_statement(connection) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in ("digest", "advertiser_id", "received_at"))
    table = quote(CallbackReplayKey._meta.db_table)
    return (
        f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s) "  # noqa: S608
        f"ON CONFLICT ({quote('digest')}) DO NOTHING"
    )


def database_unreachable(exc: BaseException) -> bool:
    """Whether a database error means PostgreSQL cannot be reached (down, restarting, the
    connection lost), as opposed to a statement it refused (a constraint, bad data).

    Django raises OperationalError or InterfaceError for the former; a group commit's followers
    get a DatabaseError whose cause is the leader's error, so the causes are followed too.
    """
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        if not isinstance(exc, DatabaseError) and seen:
            return False
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class SpooledOutcome(NamedTuple):
    stored: int
    already: int  # stored by an earlier drain that died before its XACK
    replayed: int  # the replay key was taken: this signature was stored before


def inbox_spooled_insert(
    *, items: Sequence[tuple[CallbackInbox, ReplayKey | None]]
) -> SpooledOutcome:
    """Insert callbacks drained from the spool (rows with `spool_id` and their acceptance time
    as `received_at`), in one transaction, each at most once. PostgreSQL only.

    A row whose spool id is stored already inserts nothing (a drain run twice, or one that died
    between its commit and its XACK); a signed row whose replay key is taken inserts nothing
    (its signature was stored before the outage, or by a request sent again after it). The
    spool id's unique constraint backs the first check against a concurrent drain: the loser's
    insert does nothing (ON CONFLICT), never a second row.
    """
    if not items:
        return SpooledOutcome(0, 0, 0)
    alias = router.db_for_write(CallbackInbox)
    connection = connections[alias]
    with transaction.atomic(using=alias):
        spool_ids = [row.spool_id for row, _ in items]
        already = set(
            CallbackInbox.objects.using(alias)
            .filter(spool_id__in=spool_ids)
            .values_list("spool_id", flat=True)
        )
        fresh: list[tuple[CallbackInbox, ReplayKey | None]] = []
        seen: set[str] = set()
        for row, key in items:
            if row.spool_id not in already and row.spool_id not in seen:
                seen.add(row.spool_id)
                fresh.append((row, key))
        keys = {
            key.digest: (key.digest, key.advertiser_id, row.received_at)
            for row, key in fresh
            if key is not None
        }
        taken = _replay_keys_insert(connection, list(keys.values())) if keys else set()
        kept = []
        for row, key in fresh:
            if key is None or key.digest in taken:
                kept.append(row)
                if key is not None:
                    taken.discard(key.digest)  # a second row with the same key is a replay
        stored = _spooled_rows_insert(connection, kept) if kept else 0
    return SpooledOutcome(
        stored=stored,
        already=len(items) - len(fresh) + len(kept) - stored,
        replayed=len(fresh) - len(kept),
    )


def _spooled_rows_insert(connection, rows: Sequence[CallbackInbox]) -> int:
    """Insert rows keeping their own received_at; ON CONFLICT on the spool id does nothing."""
    prepared = []
    for row in rows:
        prepared.append(
            [
                field.get_db_prep_save(
                    getattr(row, field.attname)
                    if field.name == "received_at"
                    else field.pre_save(row, True),
                    connection,
                )
                for field in _FIELDS
            ]
        )
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in _FIELDS)
    arrays = ", ".join(f"%b::{field.db_type(connection)}[]" for field in _FIELDS)
    spool = quote(CallbackInbox._meta.get_field("spool_id").column)
    sql = (
        f"INSERT INTO {quote(CallbackInbox._meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({spool}) WHERE {spool} IS NOT NULL DO NOTHING RETURNING {spool}"
    )
    values = [[row[index] for row in prepared] for index in range(len(_FIELDS))]
    return len(statement_fetchall(connection, sql, values))


def statement_fetchone(connection, sql: str, params: Sequence[Any]) -> tuple | None:
    """Run one statement on Django's connection and return its first row.

    PostgreSQL: a plain psycopg cursor (server-side binding, prepared when connections
    persist); elsewhere Django's cursor.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    with pg_cursor(connection) as raw:
        raw.execute(sql, params, prepare=_prepare(connection))
        return raw.fetchone()


def _insert_many(alias: str, items: Sequence[_Item]) -> list[int | None]:
    """Insert rows of prepared values, and their replay keys, returning their ids (None for a
    replay). PostgreSQL; committed on return outside a transaction.

    Without replay keys: one statement. With them: the keys first (ON CONFLICT DO NOTHING, the
    keys that were new come back), then the rows whose key was new, in one transaction.
    """
    connection = connections[alias]
    if not any(key is not None for _, key in items):
        return list(_rows_insert(connection, [values for values, _ in items]))
    with transaction.atomic(using=alias, savepoint=False):
        fresh: dict[str, tuple] = {}
        for _, key in items:
            if key is not None:
                fresh.setdefault(key[0], key)
        taken = _replay_keys_insert(connection, list(fresh.values()))
        kept = []
        for _, key in items:
            # The first of a batch's duplicates takes the key; the others are replays.
            kept.append(key is None or key[0] in taken)
            if key is not None:
                taken.discard(key[0])
        rows = [values for (values, _), keep in zip(items, kept, strict=True) if keep]
        ids = iter(_rows_insert(connection, rows) if rows else [])
        return [next(ids) if keep else None for keep in kept]


def _rows_insert(connection, rows: Sequence[list]) -> list[int]:
    if len(rows) == 1:
        found = statement_fetchone(connection, _statement(connection)[0], rows[0])
        assert found is not None
        return [found[0]]
    values = [[row[index] for row in rows] for index in range(len(_FIELDS))]
    return [
        found[0] for found in statement_fetchall(connection, _many_statement(connection), values)
    ]


def _replay_keys_insert(connection, keys: list[tuple]) -> set[str]:
    """Insert replay keys (digest, advertiser_id, received_at); the digests that were new."""
    quote = connection.ops.quote_name
    table = quote(CallbackReplayKey._meta.db_table)
    columns = ", ".join(quote(name) for name in ("digest", "advertiser_id", "received_at"))
    sql = (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608
        "SELECT * FROM unnest(%b::varchar[], %b::bigint[], %b::timestamptz[]) "
        f"ON CONFLICT ({quote('digest')}) DO NOTHING RETURNING {quote('digest')}"
    )
    params = [[key[index] for key in keys] for index in range(3)]
    return {found[0] for found in statement_fetchall(connection, sql, params)}


def _many_statement(connection) -> str:
    """The multi-row INSERT: one array per column (unnest), so the statement is the same
    whatever the batch size. The ids come back in the order of the arrays, as Django's
    bulk_create relies on too."""
    found = _many_sql.get(connection.vendor)
    if found is None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in _FIELDS)
        arrays = ", ".join(f"%b::{field.db_type(connection)}[]" for field in _FIELDS)
        sql = (
            f"INSERT INTO {quote(CallbackInbox._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT * FROM unnest({arrays}) RETURNING {quote(_PK.column)}"
        )
        found = _many_sql[connection.vendor] = sql
    return found


def click_offer_read(*, alias: str, click_id: str, created_at: datetime) -> int | None:
    """The offer of the click (click_id, created_at), or None; batched on PostgreSQL."""
    connection = connections[alias]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _click_reads(alias).call((click_id, created_at))
    return _click_read_many(alias, [(click_id, created_at)])[0]


def _click_read_many(alias: str, keys: Sequence[tuple[str, datetime]]) -> list[int | None]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    table = quote(Click._meta.db_table)
    offer, click_id, created_at = (
        quote(Click._meta.get_field(name).column) for name in ("offer_id", "click_id", "created_at")
    )
    field = Click._meta.get_field("created_at")
    if len(keys) == 1 or connection.vendor != "postgresql":
        # The ORM's filter(click_id=..., created_at=...).values_list("offer_id").first().
        sql = f"SELECT {offer} FROM {table} WHERE {click_id} = %s AND {created_at} = %s LIMIT 1"  # noqa: S608
        found = [
            statement_fetchone(connection, sql, [key, field.get_db_prep_value(at, connection)])
            for key, at in keys
        ]
        return [None if row is None else row[0] for row in found]
    # Both lists name the partitions to read (pruned at execution); the pairs are matched here.
    sql = (
        f"SELECT {click_id}, {created_at}, {offer} FROM {table} "  # noqa: S608
        f"WHERE {click_id} = ANY(%b::varchar[]) AND {created_at} = ANY(%b::timestamptz[])"
    )
    rows = statement_fetchall(connection, sql, [[key for key, _ in keys], [at for _, at in keys]])
    offers = {(key, at): offer_id for key, at, offer_id in rows}
    return [offers.get(key) for key in keys]


def statement_fetchall(connection, sql: str, params: Sequence[Any]) -> list[tuple]:
    """As statement_fetchone, every row (PostgreSQL only)."""
    with pg_cursor(connection) as raw:
        raw.execute(sql, params, prepare=_prepare(connection))
        return raw.fetchall()


def _prepare(connection) -> bool | None:
    """Prepare statements only on persistent connections (a prepared statement lives and dies
    with its connection; with PgBouncer, DB_CONN_MAX_AGE=0 turns this off)."""
    return True if connection.settings_dict.get("CONN_MAX_AGE") else None


_batchers: dict[tuple[str, str], GroupCommit] = {}


def _batcher(kind: str, alias: str, run) -> GroupCommit:
    found = _batchers.get((kind, alias))
    if found is None:
        found = _batchers.setdefault((kind, alias), GroupCommit(lambda items: run(alias, items)))
    return found


def _inserts(alias: str) -> GroupCommit[_Item, int | None]:
    return _batcher("insert", alias, _insert_many)


def _click_reads(alias: str) -> GroupCommit[tuple[str, datetime], int | None]:
    return _batcher("click", alias, _click_read_many)
