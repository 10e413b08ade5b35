"""The ingester's clicks are counted into the rollups by PostgreSQL from the stored rows
(reports/clicks_in_sql.py): every rollup table ends up exactly as the Python way leaves it,
awkward sub ids, hours across midnight, bots, repeats, creatives and a missing offer included."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from reports.rollups import ALL
from reports.services import rollup_clicks_add
from tests import factories
from tracking.models import Click

pytestmark = pytest.mark.django_db

AWKWARD = ["a,b", "{x}", '"q"', "back\\slash", "NULL", "é€日本", "tab\there", "x" * 255, ""]


def _clicks(rng: random.Random, count: int) -> list[Click]:
    usd = factories.OfferFactory(currency="USD")
    eur = factories.OfferFactory(currency="EUR")
    publishers = [factories.PublisherFactory() for _ in range(3)]
    start = datetime(2026, 11, 30, 22, 50, tzinfo=UTC)
    clicks = []
    for n in range(count):
        offer_id = rng.choice([usd.id, usd.id, eur.id, 999_999])  # 999,999: no such offer
        clicks.append(
            factories.ClickFactory(
                offer_id=offer_id,
                publisher_id=rng.choice(publishers).id,
                created_at=start + timedelta(minutes=n * 2),  # 22:50 to past 01:00
                country=rng.choice(["DE", "US", "", "FR"]),
                device=rng.choice(["mobile", "desktop", ""]),
                sub1=rng.choice([*AWKWARD, "s1", "s2"]),
                sub2=rng.choice(["", "p1", "p2"]),
                sub5=rng.choice(["", "é"]),
                source=rng.choice(["fb", "google", ""]),
                is_unique=rng.random() < 0.8,
                is_bot=rng.random() < 0.1,
                creative_id=rng.choice([None, 7]),
                landing_variant_id=rng.choice([None, None, 3]),
            )
        )
    return clicks


def _rollup_rows() -> dict[str, list[tuple]]:
    rows = {}
    with connection.cursor() as cursor:
        for rollup in ALL:
            columns = [f.column for f in rollup.model._meta.concrete_fields if not f.primary_key]
            cursor.execute(f"SELECT {', '.join(columns)} FROM {rollup.table}")
            rows[rollup.table] = sorted(cursor.fetchall(), key=repr)
    return rows


def _counted(clicks: list[Click], *, in_sql: bool) -> dict[str, list[tuple]]:
    """The rollups after counting `clicks` in two batches one way, then rolled back."""
    stored_in = Click._meta.db_table if in_sql else ""
    with transaction.atomic():
        middle = len(clicks) // 2
        for batch in (clicks[:middle], clicks[middle:]):
            rollup_clicks_add(clicks=batch, stored_in=stored_in)
        rows = _rollup_rows()
        transaction.set_rollback(True)
    return rows


def test_postgresql_counts_the_stored_clicks_as_python_does():
    clicks = _clicks(random.Random(18), 90)
    by_python, by_sql = _counted(clicks, in_sql=False), _counted(clicks, in_sql=True)
    assert all(by_python.values()), "every table got rows"
    assert by_sql == by_python


def test_each_table_counts_every_click_once():
    clicks = _clicks(random.Random(7), 40)
    expected = (len(clicks), sum(c.is_unique for c in clicks), sum(c.is_bot for c in clicks))
    with transaction.atomic():
        for batch in (clicks[:20], clicks[20:]):
            rollup_clicks_add(clicks=batch, stored_in=Click._meta.db_table)
        with connection.cursor() as cursor:
            for rollup in ALL:
                cursor.execute(
                    f"SELECT sum(clicks), sum(unique_clicks), sum(bot_clicks) FROM {rollup.table}"
                )
                assert cursor.fetchone() == expected, rollup.table
        transaction.set_rollback(True)
