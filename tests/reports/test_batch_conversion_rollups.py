"""The batch form of the conversion hook counts exactly what one call per conversion counts."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from ulid import ULID

from reports.models import ConversionCounted
from reports.rollups import ALL
from tests.reports.conftest import clicks_ingest, convert
from tracking.hooks import (
    after_conversion_changed,
    after_conversions_changed,
    after_conversions_created,
)
from tracking.models import Click, Conversion

pytestmark = pytest.mark.sqlite

AT = datetime(2026, 1, 10, 10, 30, tzinfo=UTC)


def _rollup_rows() -> dict[str, list[tuple]]:
    """Every rollup table's rows without their ids, in a stable order."""
    rows = {}
    with connection.cursor() as cursor:
        for rollup in ALL:
            cursor.execute(f"SELECT * FROM {rollup.table}")
            names = [column[0] for column in cursor.description]
            rows[rollup.table] = sorted(
                tuple(value for name, value in zip(names, row, strict=True) if name != "id")
                for row in cursor.fetchall()
            )
    return rows


def _counted() -> list[tuple]:
    return sorted(
        ConversionCounted.objects.values_list(
            "conversion_id", "dims", "status", "revenue_micros", "payout_micros", "sale_micros"
        )
    )


def _one_at_a_time(conversions: list[Conversion]) -> None:
    for conversion in conversions:
        after_conversion_changed(conversion=conversion, previous_status=None)


def _both_ways(conversions: list[Conversion]) -> tuple[tuple, tuple]:
    """(rollups, counted) after the batch form, then after one call each from the same start."""
    with transaction.atomic():
        start = transaction.savepoint()
        after_conversions_changed(conversions=conversions)
        batch = (_rollup_rows(), _counted())
        transaction.savepoint_rollback(start)
        _one_at_a_time(conversions)
        single = (_rollup_rows(), _counted())
    return batch, single


@pytest.fixture
def mixed(world) -> list[Conversion]:
    """Conversions of every status, on clicks in two countries, hours and offers, with and
    without a sale amount; clicks stored at their id's time and not; a conversion whose click
    is gone, one whose click time is not its click's."""
    minted = ULID.from_datetime(AT)
    a1 = dict(offer=world.offer_a, publisher=world.pub_1, at=AT, country="DE", device="mobile")
    a2 = dict(offer=world.offer_a, publisher=world.pub_2, at=AT, country="FR", sub1="x")
    b1 = dict(offer=world.offer_b, publisher=world.pub_1, at=AT - timedelta(hours=3))
    clicks = clicks_ingest(
        a1,
        a1,
        a1,
        a2,
        b1,
        b1,
        dict(
            offer=world.offer_b,
            publisher=world.pub_2,
            at=minted.datetime,
            click_id=str(minted),
            country="US",
            device="desktop",
        ),
        dict(b1, country="GB"),
    )
    later = AT + timedelta(hours=2)
    conversions = [
        convert(click=clicks[0], goal=world.goal_a, at=AT),
        convert(click=clicks[1], goal=world.goal_a, at=later, status="pending"),
        convert(click=clicks[3], goal=world.goal_a, at=later, sale_amount="99.95"),
        convert(click=clicks[3], goal=world.goal_a, at=AT, status="rejected"),
        convert(click=clicks[4], goal=world.goal_b, at=later, status="reversed", payout="3.10"),
        convert(click=clicks[5], goal=world.goal_b, at=AT, payout="0.00"),
        convert(click=clicks[6], goal=world.goal_b, at=later, sale_amount="5.00"),
    ]
    moved = convert(click=clicks[7], goal=world.goal_b, at=AT, status="pending")
    Conversion.objects.filter(pk=moved.pk).update(click_created_at=AT - timedelta(days=1))
    moved.refresh_from_db()
    conversions.append(moved)
    gone = convert(click=clicks[2], goal=world.goal_a, at=AT)
    Conversion.objects.filter(pk=gone.pk).update(click_id="01JGONEGONEGONEGONEGONEGON")
    gone.refresh_from_db()
    conversions.append(gone)
    # convert() already counted them: start from nothing, as attribution does.
    ConversionCounted.objects.all().delete()
    for rollup in ALL:
        rollup.model.objects.all().delete()
    return conversions


def test_a_mixed_batch_counts_what_one_call_per_conversion_counts(mixed):
    batch, single = _both_ways(mixed)
    assert batch == single
    assert any(batch[0].values()) and len(batch[1]) == len(mixed)


def test_a_batch_of_changes_counts_what_one_call_per_change_counts(mixed):
    _one_at_a_time(mixed)
    for conversion, status in zip(mixed, ["reversed", "approved", "pending"], strict=False):
        conversion.status = status
    mixed[3].payout = mixed[3].payout + 1
    mixed[3].status = "approved"
    batch, single = _both_ways(mixed)
    assert batch == single


def test_applying_the_same_batch_twice_adds_nothing(mixed):
    with transaction.atomic():
        after_conversions_changed(conversions=mixed)
    once = (_rollup_rows(), _counted())
    with transaction.atomic():
        after_conversions_changed(conversions=mixed)
        after_conversions_changed(conversions=mixed + mixed)
    assert (_rollup_rows(), _counted()) == once


def test_a_conversion_listed_twice_in_a_batch_counts_once_as_its_last_copy(mixed):
    first = mixed[0]
    twin = Conversion.objects.get(pk=first.pk)
    twin.status = "pending"
    with transaction.atomic():
        start = transaction.savepoint()
        after_conversions_changed(conversions=[first, twin])
        batch = (_rollup_rows(), _counted())
        transaction.savepoint_rollback(start)
        after_conversions_changed(conversions=[twin])
        alone = (_rollup_rows(), _counted())
    assert batch == alone


def test_an_empty_batch_writes_nothing(world):
    with transaction.atomic():
        after_conversions_changed(conversions=[])
    assert not any(_rollup_rows().values()) and _counted() == []


def test_a_batch_finds_each_click_s_country_and_device_wherever_it_is_stored(mixed):
    with transaction.atomic():
        after_conversions_changed(conversions=mixed)
    places = {
        pk: (dims["country"], dims["device"])
        for pk, dims in ConversionCounted.objects.values_list("conversion_id", "dims")
    }
    assert [places[conversion.pk] for conversion in mixed] == [
        ("DE", "mobile"),
        ("DE", "mobile"),
        ("FR", ""),
        ("FR", ""),
        ("", ""),
        ("", ""),
        ("US", "desktop"),  # stored at its id's time
        ("GB", ""),  # the conversion's click time is not the click's: found by id
        ("", ""),  # the click is gone
    ]


def test_the_creation_form_with_the_clicks_already_read_counts_the_same(mixed):
    # Attribution passes the clicks it read; a click it holds at another time than the
    # conversion's (as for the moved one) or does not hold (a few here) is looked up as usual.
    clicks = {click.click_id: click for click in Click.objects.all()}
    for conversion in mixed[::3]:
        clicks.pop(conversion.click_id, None)
    with transaction.atomic():
        start = transaction.savepoint()
        after_conversions_created(conversions=mixed, clicks=clicks)
        created = (_rollup_rows(), _counted())
        transaction.savepoint_rollback(start)
        _one_at_a_time(mixed)
        single = (_rollup_rows(), _counted())
    assert created == single
    assert any(created[0].values()) and len(created[1]) == len(mixed)


def test_the_creation_form_takes_country_and_device_from_the_clicks_it_is_given(mixed):
    # A click still in the Redis buffer is known to attribution but not to a SELECT.
    first = mixed[0]
    buffered = Click(
        click_id=first.click_id, created_at=first.click_created_at, country="NL", device="tablet"
    )
    Click.objects.filter(click_id=first.click_id).delete()
    with transaction.atomic():
        after_conversions_created(conversions=[first], clicks={first.click_id: buffered})
    dims = ConversionCounted.objects.get(conversion_id=first.pk).dims
    assert (dims["country"], dims["device"]) == ("NL", "tablet")
