"""Fill GeoDay and PublisherDay from the tables that already count the same facts.

The two tables are new (0002, 0003); the hooks write them from now on, but the days before the
deploy are only in GeoHour and PairDay, and the planner reads daily tables for whole days. Run
the migration with the click ingester and attribution workers stopped: a row an old worker adds
to GeoHour or PairDay after this reads them would be missing from the daily table.
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
GEO = (
    "offer_id",
    "advertiser_id",
    "publisher_id",
    "goal_id",
    "currency",
    "country",
    "device",
    "sub1",
)


def backfill(connection) -> None:
    """INSERT ... SELECT ... GROUP BY into each empty daily table (also called by the tests)."""
    utc_day = (
        "(hour AT TIME ZONE 'UTC')::date" if connection.vendor == "postgresql" else "date(hour)"
    )
    counters = ", ".join(COUNTERS)
    sums = ", ".join(f"SUM({name})" for name in COUNTERS)
    # Names only, from the constants above; no values.
    statements = {
        "reports_geoday": (
            f"INSERT INTO reports_geoday (day, {', '.join(GEO)}, {counters}) "  # noqa: S608
            f"SELECT {utc_day}, {', '.join(GEO)}, {sums} FROM reports_geohour "
            f"GROUP BY {utc_day}, {', '.join(GEO)}"
        ),
        "reports_publisherday": (
            f"INSERT INTO reports_publisherday (day, publisher_id, currency, {counters}) "  # noqa: S608
            f"SELECT day, publisher_id, currency, {sums} FROM reports_pairday "
            "GROUP BY day, publisher_id, currency"
        ),
    }
    with connection.cursor() as cursor:
        for table, sql in statements.items():
            cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608
            if cursor.fetchone() is None:
                cursor.execute(sql)


def _forward(apps, schema_editor) -> None:
    backfill(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_publisher_day")]

    operations = [migrations.RunPython(_forward, migrations.RunPython.noop)]
