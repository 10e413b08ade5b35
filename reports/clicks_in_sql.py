"""Counting a batch of stored clicks into every rollup table with one statement (PostgreSQL).

The ingester's clicks are already in their table, in the transaction that counts them, so
PostgreSQL reads them back by id and aggregates them into every rollup itself: the worker no
longer builds each click's dimensions and the upserts' arrays in Python, which cost about 80 µs
of its CPU a click, for no more PostgreSQL CPU (bench/rollups_where.py, docs/performance.md).

The rules are reports/services.py's for clicks (`_dims`, `_bucket`, a row's plain dimensions from
the batch's first click with its key); tests/reports/test_clicks_counted_in_sql.py checks that
both ways leave the same rows. The table is the caller's (tracking owns it), read by the column
names the Python way reads as attributes.
"""

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection

from core.pg_cursor import pg_cursor
from offers.models import Offer
from reports.models import COUNTERS
from reports.rollups import ALL, DIMENSIONS, FACT_DIMS, SUB_VALUES

TRAFFIC = ("clicks", "unique_clicks", "bot_clicks")


def clicks_count_stored(*, table: str, clicks: Sequence[Any]) -> None:
    """Count `clicks` (rows of `table`, with their ids) into every rollup table."""
    if not clicks:
        return
    ids = "{" + ",".join(int.__repr__(click.id) for click in clicks) + "}"
    times = [click.created_at for click in clicks]
    with pg_cursor(connection) as raw:
        raw.execute(_statement(table), [ids, min(times), max(times)])


@cache
def _statement(table: str) -> str:
    """WITH the batch's clicks (f), grouped once per hour and full set of dimensions (g, with
    the smallest click id of each group: its first in the batch, ids being given in order),
    then one INSERT ... ON CONFLICT per rollup table, grouped to its own key."""
    expressions = {
        "offer_id": "c.offer_id",
        "advertiser_id": "coalesce(o.advertiser_id, 0)",
        "currency": "coalesce(o.currency, '')",
        "publisher_id": "c.publisher_id",
        "goal_id": "0::bigint",
        "creative_id": "coalesce(c.creative_id, 0)",
        "landing_variant_id": "coalesce(c.landing_variant_id, 0)",
        # Text cut to its rollup column's length, as _dims does.
        **{name: f"left(c.{name}, {DIMENSIONS[name]})" for name in ("country", "device")},
        **{name: f"left(c.{name}, {DIMENSIONS[name]})" for name in SUB_VALUES},
    }
    dims = [d for d in FACT_DIMS if d != "subs_key"]
    if set(dims) != set(expressions):  # a rollup gained a dimension this statement lacks
        raise RuntimeError(f"no SQL for the click dimensions {set(dims) ^ set(expressions)}")
    # Only names from rollups.py, the models and the caller's model table: values are parameters.
    parts = [
        "f AS MATERIALIZED (SELECT date_trunc('hour', c.created_at, 'UTC') AS hour, "  # noqa: S608
        + ", ".join(f"{expressions[d]} AS {d}" for d in dims)
        + f", c.id, c.is_unique, c.is_bot FROM {table} c"
        f" LEFT JOIN {Offer._meta.db_table} o ON o.id = c.offer_id"
        " WHERE c.id = ANY(%s::bigint[]) AND c.created_at BETWEEN %s AND %s)",
        "g AS MATERIALIZED (SELECT hour, (hour AT TIME ZONE 'UTC')::date AS day, "  # noqa: S608
        + ", ".join(dims)
        + ", md5(concat_ws(E'\\x1f', "
        + ", ".join(SUB_VALUES)
        + ")) AS subs_key, count(*) AS clicks, sum(is_unique::int) AS unique_clicks,"
        " sum(is_bot::int) AS bot_clicks, min(id) AS first FROM f GROUP BY hour, "
        + ", ".join(dims)
        + ")",
    ]
    for index, rollup in enumerate(ALL):
        bucket = "hour" if rollup.grain == "hour" else "day"
        columns = (*rollup.key, *rollup.plain, *COUNTERS)
        select = [bucket, *rollup.key_dims]
        select += [f"(array_agg({d} ORDER BY first))[1]" for d in rollup.plain]
        select += [f"sum({c})::bigint" if c in TRAFFIC else "0" for c in COUNTERS]
        updates = ", ".join(f"{c} = {rollup.table}.{c} + EXCLUDED.{c}" for c in TRAFFIC)
        # ORDER BY the key: concurrent ingesters lock the rows they share in the same order.
        parts.append(
            f"t{index} AS (INSERT INTO {rollup.table} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {', '.join(select)} FROM g GROUP BY {', '.join([bucket, *rollup.key_dims])} "
            f"ORDER BY {', '.join([bucket, *rollup.key_dims])} "
            f"ON CONFLICT ({', '.join(rollup.key)}) DO UPDATE SET {updates})"
        )
    return "WITH " + ",\n".join(parts) + "\nSELECT count(*) FROM g"
