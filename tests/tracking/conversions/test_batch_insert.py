"""Attribution's bulk insert (core.bulk_insert) stores exactly what bulk_create stores."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from ulid import ULID

from core.bulk_insert import rows_insert
from tests import factories
from tracking.models import Conversion

pytestmark = pytest.mark.sqlite

AWKWARD = ["plain", 'quote " and \\ backslash', "{braces,commas}", "NULL", "", "ünï ☃ 'x'"]


def _conversions(goal, publisher, tag: str) -> list[Conversion]:
    rows = []
    for n, text in enumerate(AWKWARD):
        rows.append(
            Conversion(
                click_id=str(ULID()),
                click_created_at=datetime(2026, 1, 10, 10, n, 5, 123456, tzinfo=UTC),
                offer_id=goal.offer_id,
                goal_id=goal.pk,
                publisher_id=publisher.pk,
                advertiser_id=goal.offer.advertiser_id,
                status=[Conversion.Status.APPROVED, "pending", "rejected"][n % 3],
                reject_reason=text[:48],
                currency="USD",
                sale_amount=None if n % 2 else Decimal("19.99"),
                revenue=Decimal("4.00"),
                payout=Decimal(f"1.{n}9"),
                advertiser_txn_id=None if n % 2 else f"{tag}-{text}",
                once_per_click=bool(n % 2),
                sub1=text,
                source=text,
                terms={"kind": "revshare", "percent": "7.5", "note": text},
                explanation=[{"check": "terms", "ok": True, "detail": text}, {"n": n}],
            )
        )
    return rows


def _stored(conversions: list[Conversion]) -> list[dict]:
    ignore = {"id", "click_id", "advertiser_txn_id", "created_at", "updated_at"}
    rows = Conversion.objects.filter(pk__in=[c.pk for c in conversions]).order_by("id").values()
    return [{k: v for k, v in row.items() if k not in ignore} for row in rows]


def test_rows_are_stored_as_bulk_create_stores_them_and_get_their_ids(db):
    goal, publisher = factories.GoalFactory(), factories.PublisherFactory()
    ours = _conversions(goal, publisher, "ours")
    theirs = _conversions(goal, publisher, "theirs")
    with transaction.atomic():
        rows_insert(objs=ours)
        Conversion.objects.bulk_create(theirs)
    assert all(c.pk is not None and not c._state.adding for c in ours)
    assert _stored(ours) == _stored(theirs)
    stored = dict(
        Conversion.objects.filter(pk__in=[c.pk for c in ours]).values_list(
            "id", "advertiser_txn_id"
        )
    )
    assert stored == {c.pk: c.advertiser_txn_id for c in ours}


def test_a_row_breaking_a_constraint_fails_the_statement_with_an_integrity_error(db):
    goal, publisher = factories.GoalFactory(), factories.PublisherFactory()
    rows = _conversions(goal, publisher, "same")
    rows[4].advertiser_txn_id = rows[0].advertiser_txn_id
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(objs=rows)
    assert not Conversion.objects.exists()
