"""Migration 0004 fills GeoDay and PublisherDay from the tables that counted the same facts
before the hooks wrote them: the result is what the hooks would have written."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from reports.models import COUNTERS, GeoDay, PublisherDay
from tests.reports.conftest import clicks_ingest, conversion_change, convert

backfill = importlib.import_module("reports.migrations.0004_backfill_geo_and_publisher_day")


def _rows(model) -> list[tuple]:
    fields = [f.name for f in model._meta.fields if f.name != "id"]
    return sorted(model.objects.values_list(*fields))


@pytest.mark.sqlite
def test_the_upgrade_fills_geo_day_and_publisher_day_as_the_hooks_would(world):
    at = datetime(2026, 1, 10, 22, 30, tzinfo=UTC)
    clicks = clicks_ingest(
        *(
            dict(
                offer=offer,
                publisher=publisher,
                at=at + timedelta(hours=hours),
                country="DE",
                sub1=f"s{hours % 2}",
            )
            for offer in (world.offer_a, world.offer_b)
            for publisher in (world.pub_1, world.pub_2)
            for hours in range(4)
        )
    )
    conversion = convert(click=clicks[0], goal=world.goal_a, at=at + timedelta(days=1))
    convert(click=clicks[9], goal=world.goal_b, at=at, status="pending")
    conversion_change(conversion, status="reversed")
    written = {model: _rows(model) for model in (GeoDay, PublisherDay)}
    assert all(written.values())
    GeoDay.objects.all().delete()
    PublisherDay.objects.all().delete()

    backfill.backfill(connection)

    assert {model: _rows(model) for model in (GeoDay, PublisherDay)} == written
    assert set(backfill.COUNTERS) == set(COUNTERS)


@pytest.mark.sqlite
def test_the_upgrade_leaves_a_daily_table_that_already_holds_rows_alone(world):
    clicks_ingest(
        dict(offer=world.offer_a, publisher=world.pub_1, at=datetime(2026, 1, 10, tzinfo=UTC))
    )
    before = _rows(GeoDay)

    backfill.backfill(connection)

    assert _rows(GeoDay) == before
