"""Writing clicks to the database: in bulk from the buffer, or one at a time directly.

Inserts are idempotent on (click_id, created_at) (ON CONFLICT DO NOTHING), so a batch written
twice, or a click claimed back from a dead ingester, is stored once; only rows really inserted
are handed to `after_clicks_ingested`, in the same transaction.
"""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import redis
from django.core.cache import cache
from django.db import connection, transaction
from psycopg.types.json import Jsonb

from core.pg_cursor import pg_cursor
from fraud.scoring import click_signals_compute
from fraud.signals import ClickFacts
from tracking.clicks.buffer import UNIQUE_PREFIX, UNIQUE_SECONDS
from tracking.clicks.ids import click_id_is_test, click_id_is_valid
from tracking.clicks.records import click_from_record
from tracking.hooks import after_clicks_ingested
from tracking.models import Click

logger = logging.getLogger(__name__)

INSERT_CHUNK = 1000  # rows per statement: SQLite caps a statement at 32,766 parameters
COLUMNS = (
    "click_id",
    "created_at",
    "offer_id",
    "publisher_id",
    "link_id",
    "ip",
    "user_agent",
    "referrer",
    "country",
    "device",
    "sub1",
    "sub2",
    "sub3",
    "sub4",
    "sub5",
    "source",
    "is_unique",
    "is_bot",
    "fallback_reason",
    "bad_params",
    "signals",
    "landing_variant_id",
    "creative_id",
    "smart_link_id",
    "region",
    "smart_choice",
    "creative_test_id",
)
# PostgreSQL array types of COLUMNS, in order, for the unnest insert.
_PG_TYPES = (
    "varchar",
    "timestamptz",
    "bigint",
    "bigint",
    "bigint",
    "inet",
    "text",
    "text",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "boolean",
    "boolean",
    "varchar",
    "varchar",
    "jsonb",
    "bigint",
    "bigint",
    "bigint",
    "varchar",
    "text",
    "bigint",
)


@dataclass(frozen=True)
class Buffered:
    """A click as the redirect recorded it, plus the two flags Redis decided."""

    record: dict
    unique: bool
    capped: bool


def clicks_store(*, buffered: Iterable[Buffered]) -> list[Click]:
    """Insert the clicks not stored yet; return those (with ids). One transaction."""
    clicks: dict[str, Click] = {}
    for item in buffered:
        try:
            if not click_id_is_valid(str(item.record.get("id", ""))):
                raise ValueError("no valid click id")
            click = click_from_record(record=item.record, unique=item.unique, capped=item.capped)
        except (KeyError, TypeError, ValueError) as exc:
            logger.error("buffered click skipped (%s): %r", exc, item.record)
            continue
        clicks.setdefault(click.click_id, click)
    if not clicks:
        return []
    rows = list(clicks.values())
    _signals_attach(rows)
    inserted: list[Click] = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            for start in range(0, len(rows), INSERT_CHUNK):
                for row_id, click_id in _insert(cursor, rows[start : start + INSERT_CHUNK]):
                    click = clicks[click_id]
                    click.id = row_id
                    click._state.adding = False
                    click._state.db = connection.alias
                    inserted.append(click)
        if inserted:
            after_clicks_ingested(clicks=inserted)
    return inserted


def _signals_attach(clicks: list[Click]) -> None:
    """The traffic quality signals of each click (fraud/scoring.py), stored with it: computed
    here, off the redirect, with one Redis pipeline per batch."""
    facts = [
        ClickFacts(
            click_id=click.click_id,
            created_at=click.created_at,
            offer_id=click.offer_id,
            publisher_id=click.publisher_id,
            ip=click.ip,
            user_agent=click.user_agent,
            country=click.country,
            device=click.device,
            sub1=click.sub1,
            source=click.source,
            is_bot=click.is_bot,
        )
        for click in clicks
    ]
    # Test clicks (sandbox links) are scored as real ones but counted by no fraud counter.
    uncounted = frozenset(click.click_id for click in clicks if click_id_is_test(click.click_id))
    scored = click_signals_compute(clicks=facts, uncounted=uncounted)
    for click, signals in zip(clicks, scored, strict=True):
        click.signals = signals


def _insert(cursor, clicks: list[Click]) -> list[tuple[int, str]]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING (id, click_id) of the rows really inserted.

    PostgreSQL gets one array per column (unnest): a short statement that psycopg adapts in C,
    where a multi-row VALUES list would be re-parsed in Python for every batch. Other databases
    (SQLite, embedded) get the VALUES list.
    """
    columns = ", ".join(COLUMNS)
    conflict = " ON CONFLICT (click_id, created_at) DO NOTHING RETURNING id, click_id"
    table = Click._meta.db_table
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%b::{kind}[]" for kind in _PG_TYPES)
        values = [
            [Jsonb(click.signals) for click in clicks]
            if column == "signals"
            else [getattr(click, column) for click in clicks]
            for column in COLUMNS
        ]
        # A plain psycopg cursor on the same connection (so the same transaction): server-side
        # binding with binary parameters (%b), so the arrays are dumped in C. Django's own cursor
        # binds on the client and escapes every array element in Python.
        with pg_cursor(connection) as raw:
            raw.execute(
                f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}){conflict}",  # noqa: S608
                values,
            )
            return raw.fetchall()
    adapt = connection.ops.adapt_datetimefield_value
    row = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    params = [
        adapt(getattr(click, column))
        if column == "created_at"
        else json.dumps(click.signals)
        if column == "signals"
        else getattr(click, column)
        for click in clicks
        for column in COLUMNS
    ]
    # Only our own table and column names and placeholders: values travel as parameters.
    cursor.execute(
        f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([row] * len(clicks)) + conflict,  # noqa: S608
        params,
    )
    return cursor.fetchall()


def click_write_direct(*, record: dict, repeat_key: str, cap_keys: list[str]) -> bool:
    """Write one click now (embedded mode, or Redis unavailable). True when over a cap.

    Repeat and cap flags come from Django's cache (locmem when embedded); if that cache is the
    Redis that just failed, the click is still written, as unique and not capped.
    """
    try:
        capped = bool(cap_keys) and any(cache.get_many(cap_keys).values())
        unique = cache.add(UNIQUE_PREFIX + repeat_key, 1, timeout=UNIQUE_SECONDS)
    except redis.RedisError:
        capped, unique = False, True
    clicks_store(buffered=[Buffered(record=record, unique=unique, capped=capped)])
    return capped
