"""Fill MarketDay from CountryDay, which counts the same facts per offer.

MarketDay is new (0007); the hooks write it from now on. The days before the upgrade are in
CountryDay, and the planner reads daily tables for whole days, so they are copied summed over
offers and advertisers: a network report by country over old days adds up as before.

Run it with the click ingester and attribution workers stopped, as 0004: a row an old worker
adds to CountryDay after this reads it would be missing from MarketDay.
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
KEY = ("day", "country", "device", "currency")


def backfill(connection) -> None:
    """INSERT ... SELECT ... GROUP BY into MarketDay if it is empty (also called by the tests)."""
    key = ", ".join(KEY)
    counters = ", ".join(COUNTERS)
    sums = ", ".join(f"SUM({name})" for name in COUNTERS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM reports_marketday LIMIT 1")
        if cursor.fetchone() is not None:
            return
        # Names only, from the constants above; no values.
        cursor.execute(
            f"INSERT INTO reports_marketday ({key}, {counters}) "  # noqa: S608
            f"SELECT {key}, {sums} FROM reports_countryday GROUP BY {key}"
        )


def _forward(apps, schema_editor) -> None:
    backfill(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("reports", "0007_market_day")]

    operations = [migrations.RunPython(_forward, migrations.RunPython.noop)]
