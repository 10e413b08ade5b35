"""The raw psycopg cursor on Django's connection: same transaction, Django's error types."""

import pytest
from django.db import IntegrityError, connection, transaction

from core.pg_cursor import pg_cursor
from tests import factories
from tracking.models import TrackingLink

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's cursor")


@pytest.mark.django_db
def test_a_constraint_failure_is_djangos_integrity_error_and_the_transaction_goes_on():
    link = factories.TrackingLinkFactory()
    table = TrackingLink._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), pg_cursor(connection) as raw:
        # The same row again: its primary key is taken.
        raw.execute(f"INSERT INTO {table} SELECT * FROM {table} WHERE id = %s", [link.pk])
    assert TrackingLink.objects.filter(pk=link.pk).exists()


@pytest.mark.django_db
def test_it_sees_the_rows_of_the_open_transaction():
    link = factories.TrackingLinkFactory()
    with pg_cursor(connection) as raw:
        raw.execute(f"SELECT code FROM {TrackingLink._meta.db_table} WHERE id = %s", [link.pk])
        assert raw.fetchone() == (link.code,)
