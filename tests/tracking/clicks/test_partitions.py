from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from tests import factories
from tracking.clicks.partitions import (
    click_partitions_existing,
    click_partitions_maintain,
    partition_name,
)
from tracking.models import Click

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("partitions exist on PostgreSQL only")


def _table_of(click: Click) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM tracking_click WHERE id = %s", [click.id]
        )
        return cursor.fetchone()[0]


def _click_at(when: datetime) -> Click:
    from ulid import ULID

    return factories.ClickFactory(click_id=str(ULID.from_datetime(when)))


def test_partitions_are_created_ahead_and_rows_waiting_in_default_move_in(settings):
    settings.CLICK_PARTITIONS_AHEAD_DAYS = 2
    today = date(2031, 5, 10)
    early = _click_at(datetime(2031, 5, 11, 8, tzinfo=UTC))
    assert _table_of(early) == "tracking_click_default"
    report = click_partitions_maintain(today=today)
    assert report.created == [partition_name(today + timedelta(days=d)) for d in (-1, 0, 1, 2)]
    assert _table_of(Click.objects.get(id=early.id)) == partition_name(date(2031, 5, 11))
    later = _click_at(datetime(2031, 5, 12, 23, 59, tzinfo=UTC))
    assert _table_of(later) == partition_name(date(2031, 5, 12))
    assert click_partitions_maintain(today=today).created == []  # idempotent


def test_days_past_the_retention_are_dropped_whole(settings):
    settings.CLICK_PARTITIONS_AHEAD_DAYS = 1
    settings.CLICK_RETENTION_DAYS = 3
    settings.CLICK_DROP_DAYS = 3
    click_partitions_maintain(today=date(2031, 6, 1))
    old = _click_at(datetime(2031, 6, 1, 12, tzinfo=UTC))
    stray = _click_at(datetime(2031, 1, 1, 12, tzinfo=UTC))  # in DEFAULT, long expired
    report = click_partitions_maintain(today=date(2031, 6, 10))
    assert partition_name(date(2031, 6, 1)) in report.dropped
    assert partition_name(date(2031, 6, 1)) not in click_partitions_existing()
    assert partition_name(date(2031, 6, 10)) in click_partitions_existing()
    assert report.default_rows_deleted >= 1
    assert not Click.objects.filter(id__in=[old.id, stray.id]).exists()


def test_a_click_id_is_unique_with_its_time_and_an_insert_of_the_same_is_ignored():
    from tracking.clicks.store import Buffered, clicks_store

    record = {"id": _click_at(datetime.now(UTC)).click_id, "o": 1, "p": 1}
    assert clicks_store(buffered=[Buffered(record=record, unique=True, capped=False)]) == []
    assert Click.objects.filter(click_id=record["id"]).count() == 1
