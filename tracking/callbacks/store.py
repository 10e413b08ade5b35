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
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connections, router

from config.pg_cursor import pg_cursor
from tracking.group_commit import GroupCommit
from tracking.models import CallbackInbox, Click

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


def inbox_insert(*, row: CallbackInbox) -> None:
    """Insert `row` (unsaved) and set its id; as row.save(force_insert=True) does.

    Outside a transaction the row is committed when this returns.
    """
    alias = router.db_for_write(CallbackInbox, instance=row)
    connection = connections[alias]
    sql, returning = _statement(connection)
    values = [field.get_db_prep_save(field.pre_save(row, True), connection) for field in _FIELDS]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        row.pk = _inserts(alias).call(values)
    elif connection.vendor == "postgresql":
        row.pk = _insert_many(alias, [values])[0]
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            if returning:
                row.pk = cursor.fetchone()[0]
            else:
                table = CallbackInbox._meta.db_table
                row.pk = connection.ops.last_insert_id(cursor, table, _PK.column)
    row._state.adding = False
    row._state.db = alias


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


def _insert_many(alias: str, rows: Sequence[list]) -> list[int]:
    """Insert rows of prepared values in one statement, returning their ids (PostgreSQL;
    committed on return outside a transaction)."""
    connection = connections[alias]
    if len(rows) == 1:
        found = statement_fetchone(connection, _statement(connection)[0], rows[0])
        assert found is not None
        return [found[0]]
    values = [[row[index] for row in rows] for index in range(len(_FIELDS))]
    return [
        found[0] for found in statement_fetchall(connection, _many_statement(connection), values)
    ]


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


def _inserts(alias: str) -> GroupCommit[list, int]:
    return _batcher("insert", alias, _insert_many)


def _click_reads(alias: str) -> GroupCommit[tuple[str, datetime], int | None]:
    return _batcher("click", alias, _click_read_many)
