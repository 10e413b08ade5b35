"""A plain psycopg cursor on Django's own PostgreSQL connection, for the few hot statements
that bind their parameters on the server.

Django's cursor binds on the client, escaping every value (and every array element) in Python;
psycopg's own cursor binds on the server, which is what the click insert, the rollup upserts and
the callback endpoint's statements need. (Its binary list dumper still loops over the elements
in Python, so the rollup upserts bind one text array literal per column instead:
reports/services.py `_array_literal`, docs/performance.md "Second push".) It is the same
connection, so the same transaction, and errors come out as Django's (IntegrityError,
OperationalError, ...) exactly as from `connection.cursor()`.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper


@contextmanager
def pg_cursor(connection: BaseDatabaseWrapper) -> Iterator[psycopg.Cursor]:
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as raw:
        yield raw
