"""Closing a month of the books: validated by one finance user, closed by another.

A month is the network's (NETWORK_TIME_ZONE, core.network_time). It can be validated once it has
ended, and closed once validated, by someone other than its validator, after every earlier month
of the ledger is closed. Closing takes the ledger in SHARE mode for an instant: every writer
already inserting finishes first, and none starts until the period is marked closed, so no entry
dated in the month can commit after the close. From then on the database refuses entries dated
in it (migration 0007), and changes to its conversions are booked as adjustments in the open
month (payouts.ledger.ledger_book_conversion_change). Its earnings become payable
PAYABLE_AFTER_CLOSE_DAYS after the close (payouts.services.build).

Until it is closed, a validated month can be sent back to open, with a reason, by a finance user
other than its validator (the second pair of eyes disagreeing); it is then validated again. A
closed month never reopens: the service refuses it and so does the database (migration 0009).
"""

from datetime import date

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Min
from django.utils import timezone

from accounts.models import User
from accounts.policy import Action, policy_require
from core.errors import DomainError, ForbiddenError
from core.network_time import month_bounds, month_next, month_of
from payouts.models import AccountingPeriod, LedgerEntry

Status = AccountingPeriod.Status


def period_month_parse(*, value: str) -> date:
    """'2025-03' (or '2025-03-01') as the month's first day; refused otherwise."""
    text = str(value or "").strip()
    parts = text.split("-")
    valid = len(parts) in (2, 3) and all(part.isascii() and part.isdigit() for part in parts)
    if valid and len(parts) == 3 and parts[2] not in ("1", "01"):
        valid = False
    if valid:
        try:
            return date(int(parts[0]), int(parts[1]), 1)
        except ValueError:
            pass
    raise DomainError.for_field("month", "invalid", "A month as YYYY-MM, e.g. 2025-03.")


def _period_locked(month: date) -> AccountingPeriod:
    """The month's row, made open if it had none, locked for the rest of the transaction."""
    starts_at, ends_at = month_bounds(month)
    AccountingPeriod.objects.get_or_create(
        month=month,
        defaults={
            "starts_at": starts_at,
            "ends_at": ends_at,
            "time_zone": settings.NETWORK_TIME_ZONE,
        },
    )
    return AccountingPeriod.objects.select_for_update().get(month=month)


def period_validate(*, month: date, validated_by: User) -> AccountingPeriod:
    """Mark an ended month's figures checked: the first of the two steps of closing it."""
    policy_require(action=Action.PERIOD_VALIDATE, user=validated_by, facts={})
    with transaction.atomic():
        period = _period_locked(month)
        now = timezone.now()
        if now < period.ends_at:
            raise DomainError(
                "period_not_ended",
                f"{month:%Y-%m} ends at {period.ends_at.isoformat()}: only an ended month is "
                "validated.",
                status_code=409,
            )
        if period.status != Status.OPEN:
            raise DomainError(
                f"period_{period.status}",
                f"{month:%Y-%m} is already {period.status}.",
                status_code=409,
            )
        period.status = Status.VALIDATED
        period.validated_by = validated_by
        period.validated_at = now
        period.save(update_fields=["status", "validated_by", "validated_at"])
    return period


def _earlier_open_month(month: date) -> date | None:
    """The first month before `month`, from the ledger's first entry on, that is not closed."""
    first = LedgerEntry.objects.aggregate(first=Min("created_at"))["first"]
    if first is None:
        return None
    closed = set(
        AccountingPeriod.objects.filter(status=Status.CLOSED, month__lt=month).values_list(
            "month", flat=True
        )
    )
    current = month_of(at=first)
    while current < month:
        if current not in closed:
            return current
        current = month_next(current)
    return None


def period_close(*, month: date, closed_by: User) -> AccountingPeriod:
    """Close a validated month. Refused to its validator (a second finance user closes), and
    while an earlier month of the ledger is still open."""
    with transaction.atomic():
        period = AccountingPeriod.objects.select_for_update().filter(month=month).first()
        if period is None or period.status == Status.OPEN:
            raise DomainError(
                "period_not_validated",
                f"{month:%Y-%m} is not validated: a finance user validates it first.",
                status_code=409,
            )
        policy_require(
            action=Action.PERIOD_CLOSE,
            user=closed_by,
            facts={"validated_by_id": period.validated_by_id},
        )
        if period.status == Status.CLOSED:
            raise DomainError("period_closed", f"{month:%Y-%m} is already closed.", status_code=409)
        earlier = _earlier_open_month(month)
        if earlier is not None:
            raise DomainError(
                "earlier_period_open",
                f"{earlier:%Y-%m} is not closed yet: months close in order.",
                status_code=409,
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Writers in flight finish first; new ones wait (briefly) for the close.
                cursor.execute("SET LOCAL lock_timeout = '10s'")
                cursor.execute(f"LOCK TABLE {LedgerEntry._meta.db_table} IN SHARE MODE")
        period.status = Status.CLOSED
        period.closed_by = closed_by
        period.closed_at = timezone.now()
        try:
            with transaction.atomic():
                period.save(update_fields=["status", "closed_by", "closed_at"])
        except IntegrityError:  # the database's own four-eyes check
            raise ForbiddenError(
                "forbidden", "A period is closed by someone other than its validator."
            ) from None
    return period


def period_reopen(*, month: date, reopened_by: User, reason: str) -> AccountingPeriod:
    """Send a validated (not closed) month back to open, saying why. Refused to its validator
    (another finance user reopens, as another closes); a closed month never reopens."""
    reason = (reason or "").strip()
    with transaction.atomic():
        period = AccountingPeriod.objects.select_for_update().filter(month=month).first()
        if period is None or period.status == Status.OPEN:
            raise DomainError(
                "period_open", f"{month:%Y-%m} is open: nothing to reopen.", status_code=409
            )
        if period.status == Status.CLOSED:
            raise DomainError(
                "period_closed",
                f"{month:%Y-%m} is closed and never reopens: a change is an adjustment booked in "
                "the open month.",
                status_code=409,
            )
        policy_require(
            action=Action.PERIOD_REOPEN,
            user=reopened_by,
            facts={"validated_by_id": period.validated_by_id},
        )
        if not reason:
            raise DomainError.for_field("reason", "reason_required", "Say why it is reopened.")
        period.status = Status.OPEN
        period.validated_by = None
        period.validated_at = None
        period.reopened_by = reopened_by
        period.reopened_at = timezone.now()
        period.reopen_reason = reason
        period.save(
            update_fields=[
                "status",
                "validated_by",
                "validated_at",
                "reopened_by",
                "reopened_at",
                "reopen_reason",
            ]
        )
    return period
