"""Guards the database keeps whatever the Python code does: one builder for their SQL, one
migration operation that runs it on the vendor it is written for.

Migrations are history: a database that ran one keeps what it created. So every builder here
returns, for the arguments a migration passes, exactly the text that migration used to spell out
(tests/core/test_db_guards_build_what_the_database_holds.py compares the PostgreSQL functions
with pg_proc and refuses the writes each guard refuses). A new guard passes new arguments; an
old one is never rebuilt differently.

- `append_only_function`: a PL/pgSQL trigger function refusing every UPDATE and DELETE (and
  TRUNCATE, let through only in a Django test database, whose runner empties every table);
- `row_trigger` / `truncate_trigger`: the CREATE TRIGGER statements that attach it;
- `sqlite_refusal`: the embedded mode's equivalent, one refused operation per trigger;
- `VendorSQL`: the operation running PostgreSQL or SQLite statements, forwards and backwards.
"""

from collections.abc import Sequence
from typing import Any

from django.db import router
from django.db.migrations.operations.base import Operation

_TRUNCATE_IN_TESTS = r"""    IF TG_OP = 'TRUNCATE' AND current_database() LIKE 'test\_%' THEN
        RETURN NULL;
    END IF;
"""


def append_only_function(
    name: str,
    *,
    table: str | None = None,
    hint: str = "",
    truncate_in_tests: bool = False,
    let_through: str = "",
    message: str = "",
) -> str:
    """CREATE FUNCTION `name`, a trigger function that raises restrict_violation.

    `table` is named in the message; None names the trigger's table (one function for several
    tables). `truncate_in_tests` lets TRUNCATE through in a test database; `let_through` is
    PL/pgSQL placed before the refusal, for the one change a guard allows (it RETURNs).
    `message`, when given, is the whole refusal, with no placeholder.
    """
    if message:
        message = f"'{message}'"
    elif table is None:
        message = "'% is append-only: % refused', TG_TABLE_NAME, TG_OP"
    else:
        message = f"'{table} is append-only: % refused', TG_OP"
    using = "USING ERRCODE = 'restrict_violation'"
    if hint:
        using += f", HINT = '{hint}'"
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        f"{_TRUNCATE_IN_TESTS if truncate_in_tests else ''}"
        f"{let_through}"
        f"    RAISE EXCEPTION {message}\n"
        f"        {using};\n"
        "END\n"
        "$$;\n"
    )


def row_trigger(
    name: str, *, table: str, function: str, events: str = "UPDATE OR DELETE", when: str = "BEFORE"
) -> str:
    """CREATE TRIGGER `name` running `function` for each row `events` touch."""
    return (
        f"CREATE TRIGGER {name}\n"
        f"    {when} {events} ON {table}\n"
        f"    FOR EACH ROW EXECUTE FUNCTION {function}();\n"
    )


def truncate_trigger(name: str, *, table: str, function: str) -> str:
    """CREATE TRIGGER `name` running `function` before a TRUNCATE of `table`."""
    return (
        f"CREATE TRIGGER {name}\n"
        f"    BEFORE TRUNCATE ON {table}\n"
        f"    FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
    )


def sqlite_refusal(
    name: str, *, table: str, event: str, message: str, when: str = "", if_not_exists: bool = False
) -> str:
    """CREATE TRIGGER `name` aborting `event` ("UPDATE", "DELETE", "UPDATE OF a, b") on `table`
    (SQLite), with `message`; `when` is a condition on OLD/NEW."""
    exists = "IF NOT EXISTS " if if_not_exists else ""
    condition = f"\n    WHEN {when}" if when else ""
    return (
        f"CREATE TRIGGER {exists}{name} BEFORE {event} ON {table}{condition}\n"
        f"    BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


class VendorSQL(Operation):
    """Raw SQL for PostgreSQL or SQLite, each run only on its own vendor (nothing elsewhere).

    Each PostgreSQL statement is executed whole with no parameters, so a `%` in a PL/pgSQL body
    is kept.
    An empty reverse list reverses as a no-op (a guard restored after a table rebuild).
    """

    reduces_to_sql = True
    reversible = True

    def __init__(
        self,
        *,
        postgresql: Sequence[str] = (),
        postgresql_reverse: Sequence[str] = (),
        sqlite: Sequence[str] = (),
        sqlite_reverse: Sequence[str] = (),
    ) -> None:
        self.postgresql = list(postgresql)
        self.postgresql_reverse = list(postgresql_reverse)
        self.sqlite = list(sqlite)
        self.sqlite_reverse = list(sqlite_reverse)

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self._run(app_label, schema_editor, postgresql=self.postgresql, sqlite=self.sqlite)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self._run(
            app_label,
            schema_editor,
            postgresql=self.postgresql_reverse,
            sqlite=self.sqlite_reverse,
        )

    def describe(self) -> str:
        return "Database guards (vendor SQL)"

    @staticmethod
    def _run(
        app_label: str, schema_editor: Any, *, postgresql: list[str], sqlite: list[str]
    ) -> None:
        if not router.allow_migrate(schema_editor.connection.alias, app_label):
            return
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            for statement in postgresql:
                schema_editor.execute(statement, params=None)
        elif vendor == "sqlite":
            for statement in sqlite:
                schema_editor.execute(statement)
