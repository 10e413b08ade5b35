"""Reads of the payouts app. Balances are always derived from the ledger, never stored."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from affiliates.models import Publisher
from config.errors import ForbiddenError, NotFoundError
from payouts.models import LedgerEntry, PayoutBatch, PayoutBatchLine, PayoutLineEntry


@dataclass(frozen=True)
class PublisherBalance:
    """What we owe one publisher in one currency, split by where the money stands.

    total = eligible + held + in_batches: `eligible` is what a batch built now could take
    (before the minimum payout), `held` is conversion money still in its hold period, `in_batches`
    is taken by a batch not yet paid. Paid lines and their payments cancel out.
    """

    currency: str
    total: Decimal
    eligible: Decimal
    held: Decimal
    in_batches: Decimal


def publisher_hold_days(*, publisher: Publisher) -> int:
    return settings.PAYOUT_HOLD_DAYS if publisher.hold_days is None else publisher.hold_days


def publisher_balances(*, publisher_id: int, at: datetime | None = None) -> list[PublisherBalance]:
    """One balance per currency the publisher has entries in, as of `at` (default now)."""
    publisher = Publisher.objects.filter(id=publisher_id).first()
    if publisher is None:
        raise NotFoundError("not_found", f"No publisher {publisher_id}.")
    at = at or timezone.now()
    hold_start = at - timedelta(days=publisher_hold_days(publisher=publisher))
    inclusions = PayoutLineEntry.objects.filter(entry=OuterRef("pk"))
    # As the build: the hold applies to positive conversion money (services/build.py HELD_KIND).
    held_kind = Q(amount__gt=0) & (
        Q(kind=LedgerEntry.Kind.EARNING)
        | Q(kind=LedgerEntry.Kind.ADJUSTMENT, conversion__isnull=False)
    )
    rows = (
        LedgerEntry.objects.filter(publisher_id=publisher_id)
        .annotate(
            batched=Exists(inclusions),
            in_unpaid=Exists(inclusions.exclude(line__batch__status=PayoutBatch.Status.PAID)),
        )
        .values("currency")
        .annotate(
            total=Sum("amount"),
            held=Sum("amount", filter=Q(batched=False) & held_kind & Q(created_at__gte=hold_start)),
            eligible=Sum(
                "amount",
                filter=Q(batched=False)
                & ~Q(kind=LedgerEntry.Kind.PAYMENT)
                & (~held_kind | Q(created_at__lt=hold_start)),
            ),
            in_batches=Sum("amount", filter=Q(in_unpaid=True)),
        )
        .order_by("currency")
    )
    zero = Decimal(0)
    return [
        PublisherBalance(
            currency=row["currency"],
            total=row["total"] or zero,
            eligible=row["eligible"] or zero,
            held=row["held"] or zero,
            in_batches=row["in_batches"] or zero,
        )
        for row in rows
    ]


def payout_batches_for(*, user: User) -> QuerySet[PayoutBatch]:
    """Batches are for finance and managers; everyone else is refused, not shown an empty list."""
    if not (user.is_finance or user.is_manager):
        raise ForbiddenError("forbidden", "Payout batches are for finance and managers.")
    return PayoutBatch.objects.select_related("built_by", "approved_by", "exported_by", "paid_by")


def payout_batch_lines(*, batch_id: int) -> QuerySet[PayoutBatchLine]:
    return PayoutBatchLine.objects.filter(batch_id=batch_id).order_by("id")


def publisher_payout_lines(*, publisher_id: int) -> QuerySet[PayoutBatchLine]:
    """A publisher's lines in approved-or-later batches (drafts are finance's work in progress)."""
    return (
        PayoutBatchLine.objects.filter(publisher_id=publisher_id)
        .exclude(batch__status=PayoutBatch.Status.DRAFT)
        .select_related("batch")
        .order_by("-id")
    )


def publisher_payments(*, publisher_id: int) -> QuerySet[LedgerEntry]:
    """Payment history: money sent, and money that came back (failures)."""
    return (
        LedgerEntry.objects.filter(
            publisher_id=publisher_id,
            kind__in=[LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.PAYMENT_FAILURE],
        )
        .select_related("batch_line")
        .order_by("-id")
    )
