"""Fixtures for payouts: finance people, publishers, and entries written at a chosen time."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from payouts.ledger import ledger_entry_append
from payouts.models import LedgerEntry
from tests import factories

_keys = iter(range(10**9))


def entry_write(
    *,
    publisher,
    amount: str | Decimal,
    currency: str = "USD",
    kind: str = LedgerEntry.Kind.EARNING,
    at: datetime | None = None,
    **extra,
) -> LedgerEntry:
    """Append an entry through the real `ledger_entry_append`, as if written at `at`."""
    with time_machine.travel(at or timezone.now(), tick=False):
        entry, _ = ledger_entry_append(
            publisher_id=publisher.id,
            currency=currency,
            kind=kind,
            amount=Decimal(amount),
            idempotency_key=f"test:{kind}:{next(_keys)}",
            **extra,
        )
    return entry


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def finance(db):
    return factories.FinanceUserFactory()


@pytest.fixture
def finance2(db):
    return factories.FinanceUserFactory()


@pytest.fixture
def publisher(db):
    return factories.PublisherFactory(minimum_payout=Decimal("50"), hold_days=None)


def approve(*, batch_id: int, approved_by, **extra):
    """Approve as an approver does: naming the digest of the lines as they stand."""
    from payouts.selectors import payout_batch_digest
    from payouts.services import payout_batch_approve

    return payout_batch_approve(
        batch_id=batch_id,
        approved_by=approved_by,
        digest=payout_batch_digest(batch_id=batch_id),
        **extra,
    )


def line_fail(*, batch_id: int, line_id: int, requested_by, confirmed_by, reason: str = ""):
    """Mark a paid line failed the only way there is: one finance user asks, another confirms."""
    from payouts.services import payout_line_failure_confirm, payout_line_failure_request

    payout_line_failure_request(
        batch_id=batch_id, line_id=line_id, requested_by=requested_by, reason=reason
    )
    return payout_line_failure_confirm(
        batch_id=batch_id, line_id=line_id, confirmed_by=confirmed_by
    )
