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
from typing import Any

import psycopg
from django.db import connections, router

from tracking.models import CallbackInbox

_FIELDS = [field for field in CallbackInbox._meta.concrete_fields if not field.primary_key]
_PK = CallbackInbox._meta.pk
_sql: dict[str, tuple[str, bool]] = {}


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
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if returning:
            row.pk = cursor.fetchone()[0]
        else:
            row.pk = connection.ops.last_insert_id(cursor, CallbackInbox._meta.db_table, _PK.column)
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
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    prepare = True if connection.settings_dict.get("CONN_MAX_AGE") else None
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as raw:
        raw.execute(sql, params, prepare=prepare)
        return raw.fetchone()
