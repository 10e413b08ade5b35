"""Inserting a thousand model rows in one statement whose parameters cost little to build.

Django's bulk_create on PostgreSQL sends one array per column through UNNEST, but psycopg adapts
each element of a text or jsonb array in Python and escapes it with a regular expression: for
rows carrying JSON (a conversion's terms and explanation) that costs more than PostgreSQL takes
to insert them. Here each column is one array literal built with str.replace (bound as text on
Django's cursor), and the statement is INSERT ... SELECT FROM unnest(...). Values are prepared
by the fields themselves (pre_save, get_db_prep_save), so what is stored is what bulk_create
stores.

Other databases (the embedded SQLite), or a value of a type this module does not know, go
through bulk_create with the same options.
"""

import datetime
import json
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import AutoField, Field, Model

try:
    from psycopg.types.json import Jsonb
except ImportError:  # SQLite-only installs never reach the PostgreSQL path.
    Jsonb = None


class _Unknown(Exception):
    """A value this module cannot spell as an array element: let bulk_create do it."""


def rows_insert(
    *,
    objs: Sequence[Model],
    ignore_conflicts: bool = False,
    unique_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
) -> None:
    """Insert `objs` (all of one model): plain, ON CONFLICT [(`unique_fields`)] DO NOTHING
    (`ignore_conflicts`), or ON CONFLICT (`unique_fields`) DO UPDATE SET `update_fields` to
    EXCLUDED's. (On SQLite, ignoring conflicts on one unique field skips the keys already
    stored; any other fallback to bulk_create ignores every unique conflict.)

    Like bulk_create, sets the primary keys of a plain insert and marks the objects saved.
    """
    if not objs:
        return
    # The connection itself, not django.db.connection's proxy: fields ask it for its
    # operations once per value, and the proxy's thread-local lookup costs more than that.
    connection = connections[DEFAULT_DB_ALIAS]
    model = type(objs[0])
    pk_set = objs[0]._is_pk_set()
    if connection.vendor != "postgresql" or any(
        type(obj) is not model or obj._is_pk_set() != pk_set for obj in objs
    ):
        _fallback(model, objs, ignore_conflicts, unique_fields, update_fields)
        return
    opts = model._meta
    fields = [f for f in opts.concrete_fields if pk_set or not isinstance(f, AutoField)]
    try:
        arrays = [_array(field, objs, connection) for field in fields]
    except _Unknown:
        _fallback(model, objs, ignore_conflicts, unique_fields, update_fields)
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    casts = ", ".join(f"%s::{f.db_type(connection).split('(')[0]}[]" for f in fields)
    sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) SELECT * FROM unnest({casts})"  # noqa: S608
    returning = not pk_set and not ignore_conflicts and not update_fields
    target = ", ".join(quote(opts.get_field(name).column) for name in unique_fields)
    if ignore_conflicts:
        sql += f" ON CONFLICT ({target}) DO NOTHING" if target else " ON CONFLICT DO NOTHING"
    elif update_fields:
        updates = ", ".join(
            f"{quote(opts.get_field(name).column)} = EXCLUDED.{quote(opts.get_field(name).column)}"
            for name in update_fields
        )
        sql += f" ON CONFLICT ({target}) DO UPDATE SET {updates}"
    if returning:
        sql += f" RETURNING {quote(opts.pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        if returning:
            # INSERT ... SELECT FROM unnest returns rows in the arrays' order (bulk_create's
            # UNNEST strategy relies on the same).
            ids = cursor.fetchall()
            if len(ids) != len(objs):
                raise RuntimeError(f"inserted {len(ids)} rows for {len(objs)}")
            for obj, (pk,) in zip(objs, ids, strict=True):
                setattr(obj, opts.pk.attname, pk)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def _fallback(model, objs, ignore_conflicts, unique_fields, update_fields) -> None:
    manager = model._default_manager
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    if ignore_conflicts and len(unique_fields) == 1 and vendor == "sqlite":
        # SQLite's INSERT OR IGNORE (bulk_create's ignore_conflicts) would skip a row failing a
        # CHECK or NOT NULL too: skip only the keys already stored (or twice in the batch).
        name = unique_fields[0]
        attname = model._meta.get_field(name).attname
        seen = set(
            manager.filter(**{f"{name}__in": {getattr(obj, attname) for obj in objs}}).values_list(
                name, flat=True
            )
        )
        fresh = []
        for obj in objs:
            key = getattr(obj, attname)
            if key not in seen:
                seen.add(key)
                fresh.append(obj)
        manager.bulk_create(fresh)
        return
    manager.bulk_create(
        objs,
        ignore_conflicts=ignore_conflicts,
        update_conflicts=bool(update_fields),
        unique_fields=list(unique_fields) if update_fields else None,
        update_fields=list(update_fields) or None,
    )


def _array(field: Field, objs: Sequence[Model], connection: BaseDatabaseWrapper) -> str:
    """One column as a PostgreSQL array literal: NULL bare, text and JSON quoted, numbers,
    booleans and timestamps bare (their spelling has nothing an array literal must escape)."""
    if type(field).pre_save is Field.pre_save:  # a plain read of the attribute
        values = list(map(attrgetter(field.attname), objs))
    else:  # auto_now and the like set the value
        values = [field.pre_save(obj, True) for obj in objs]
    fast = _FAST.get(type(field))
    prep = field.get_db_prep_save
    parts = []
    for value in values:
        element = None if fast is None or value is None else fast(field, value)
        if element is None:
            value = prep(value, connection)
            element = "NULL" if value is None else _quoted(_TEXT.get(type(value), _unknown)(value))
        parts.append(element)
    return "{" + ",".join(parts) + "}"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unknown(value: Any) -> str:
    if isinstance(value, str):  # a TextChoices member: its value, as psycopg sends it
        return str.__str__(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__repr__(value)
    if Jsonb is not None and isinstance(value, Jsonb):
        return (value.dumps or json.dumps)(value.obj)
    raise _Unknown(type(value).__name__)


_TEXT: dict[type, Callable[[Any], str]] = {
    str: str,
    int: str,
    Decimal: str,
    bool: lambda value: "t" if value else "f",
    datetime.datetime: datetime.datetime.isoformat,
    datetime.date: datetime.date.isoformat,
    uuid.UUID: str,
}


# Shortcuts for the values get_db_prep_save returns unchanged on PostgreSQL (a str for a
# CharField, an int for an integer or a foreign key to one, a finite Decimal, an aware
# datetime) and for JSON, which it only wraps to be dumped: each returns the array element.
# Anything else (an enum member, a naive datetime, an expression) returns None here and goes
# the fields' own way.
def _fast_str(field: Field, value: Any) -> str | None:
    return _quoted(value) if type(value) is str else None


def _fast_int(field: Field, value: Any) -> str | None:
    return str(value) if type(value) is int else None


def _fast_bool(field: Field, value: Any) -> str | None:
    return ("t" if value else "f") if type(value) is bool else None


def _fast_decimal(field: Field, value: Any) -> str | None:
    return str(value) if type(value) is Decimal and value.is_finite() else None


def _fast_datetime(field: Field, value: Any) -> str | None:
    if type(value) is datetime.datetime and value.utcoffset() is not None:
        return value.isoformat()
    return None


def _fast_json(field: Field, value: Any) -> str | None:
    if type(value) in (dict, list):
        return _quoted(json.dumps(value, cls=field.encoder))
    return None


def _fast_relation(field: Field, value: Any) -> str | None:
    fast = _FAST.get(type(field.target_field))
    return None if fast is None else fast(field.target_field, value)


_FAST: dict[type, Callable[[Field, Any], str | None]] = {
    models.CharField: _fast_str,
    models.TextField: _fast_str,
    models.IntegerField: _fast_int,
    models.BigIntegerField: _fast_int,
    models.PositiveIntegerField: _fast_int,
    models.AutoField: _fast_int,
    models.BigAutoField: _fast_int,
    models.BooleanField: _fast_bool,
    models.DecimalField: _fast_decimal,
    models.DateTimeField: _fast_datetime,
    models.JSONField: _fast_json,
    models.ForeignKey: _fast_relation,
    models.OneToOneField: _fast_relation,
}
