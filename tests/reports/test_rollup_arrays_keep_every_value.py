"""The rollup upserts send each column as one array literal: every value comes back as itself."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from core.pg_cursor import pg_cursor
from reports.services import _array_literal

pytestmark = pytest.mark.django_db

AWKWARD = ["", "plain", "a,b", "{x}", '"quoted"', "back\\slash", "NULL", "null", " spaced ", "é€"]


def _round_trip(values, pg_type):
    with pg_cursor(connection) as raw:
        raw.execute(f"SELECT unnest(%s::{pg_type}[])", [_array_literal(tuple(values), pg_type)])
        return [row[0] for row in raw.fetchall()]


def test_text_elements_with_commas_braces_quotes_and_the_word_null_are_kept():
    values = [*AWKWARD, None, "NULL"]
    assert _round_trip(values, "text") == values


def test_numbers_and_nulls_are_kept():
    values = [0, -1, 2**62, None, 7, True]
    assert _round_trip(values, "bigint") == [0, -1, 2**62, None, 7, 1]


def test_hours_and_days_are_kept():
    hours = [datetime(2026, 12, 1, 23, tzinfo=UTC), datetime(2026, 12, 2, 0, tzinfo=UTC)] * 2
    assert _round_trip(hours, "timestamptz") == hours
    days = [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 1)]
    assert _round_trip(days, "date") == days


def test_a_value_of_another_type_is_refused_not_spelled():
    with pytest.raises(TypeError):
        _array_literal((1.5,), "bigint")
    with pytest.raises(TypeError):
        _array_literal((3,), "text")
