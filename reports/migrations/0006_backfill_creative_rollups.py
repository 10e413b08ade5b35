"""Fill CreativeHour and CreativeDay from PairHour and PairDay, on the "none" row.

The creative tables are new (0005); the hooks write them from now on. What was counted before
is copied from the pair tables with creative and landing variant 0, so a report by creative
or landing page over old days still adds up to the same totals as every other report: the old
traffic shows as no creative and no landing page. Conversions counted before keep the same row
when they change later (reports/services.py `_DIMS_ADDED_LATER`), so a reversal subtracts from
where this put them.

Run it with the click ingester and attribution workers stopped, as 0004: a row an old worker
adds to the pair tables after this reads them would be missing from the creative tables.
"""

from django.db import migrations

COUNTERS = (
    "impressions",
    "clicks",
    "unique_clicks",
    "bot_clicks",
    *(
        f"{basis}_{name}"
        for basis in ("ct", "cv")
        for name in (
            "pending",
            "approved",
            "rejected",
            "reversed",
            "sales",
            "revenue_micros",
            "payout_micros",
            "sale_micros",
        )
    ),
)
PAIR = ("offer_id", "publisher_id", "goal_id", "advertiser_id", "currency")
COPIES = {
    "reports_creativehour": ("reports_pairhour", "hour"),
    "reports_creativeday": ("reports_pairday", "day"),
}


def backfill(connection) -> None:
    """INSERT ... SELECT into each empty creative table (also called by the tests)."""
    counters = ", ".join(COUNTERS)
    columns = ", ".join(PAIR)
    with connection.cursor() as cursor:
        for table, (source, grain) in COPIES.items():
            cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608
            if cursor.fetchone() is not None:
                continue
            # Names only, from the constants above; no values.
            cursor.execute(
                f"INSERT INTO {table} "  # noqa: S608
                f"({grain}, {columns}, creative_id, landing_variant_id, {counters}) "
                f"SELECT {grain}, {columns}, 0, 0, {counters} FROM {source}"
            )


def _forward(apps, schema_editor) -> None:
    backfill(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_creative_rollups")]

    operations = [migrations.RunPython(_forward, migrations.RunPython.noop)]
