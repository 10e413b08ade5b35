from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests import factories
from tracking.models import Conversion

JUNE = date(2025, 6, 1)
JULY = date(2025, 7, 1)


@pytest.fixture
def finance(db):
    return factories.FinanceUserFactory()


@pytest.fixture
def advertiser(db):
    return factories.AdvertiserFactory(name="Shop & Co")


def conversion(*, goal, revenue: str, at: datetime, status=Conversion.Status.APPROVED, **extra):
    """A conversion booked at `at` (created_at is auto_now_add, so it is set after insert)."""
    row = factories.ConversionFactory(
        goal=goal, revenue=Decimal(revenue), payout=Decimal("0"), status=status, **extra
    )
    Conversion.objects.filter(id=row.id).update(created_at=at)
    row.refresh_from_db()
    return row


def june(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 6, day, hour, tzinfo=UTC)


def july(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 7, day, hour, tzinfo=UTC)


def close_month(month: date) -> None:
    """Validate and close a month of the books as finance does: two people."""
    from payouts.services.periods import period_close, period_validate

    period_validate(month=month, validated_by=factories.FinanceUserFactory())
    period_close(month=month, closed_by=factories.FinanceUserFactory())
