"""Reads of the payouts app. Balances are always derived from the ledger, never stored."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from affiliates.models import Publisher
from affiliates.payout_details import payout_details_requesters_since
from core.errors import ForbiddenError, NotFoundError
from core.money import money_round, money_str
from core.network_time import network_today
from payouts.models import (
    AccountingPeriod,
    AdjustmentRequest,
    LedgerEntry,
    LineFailureRequest,
    PayoutBatch,
    PayoutBatchLine,
    PayoutLineEntry,
    TaxForm,
)


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

    def exact(row: dict, name: str) -> Decimal:
        # Every entry is in the currency's minor unit, so its sum is too; the embedded SQLite
        # adds decimals as floats (0.0899999... for 0.09), which this puts back exactly.
        return money_round(Decimal(str(row[name] or 0)), row["currency"])

    return [
        PublisherBalance(
            currency=row["currency"],
            total=exact(row, "total"),
            eligible=exact(row, "eligible"),
            held=exact(row, "held"),
            in_batches=exact(row, "in_batches"),
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


def payout_batch_digest(*, batch_id: int) -> str:
    """SHA-256 over the batch's lines in order: publisher, currency, amount, method, details and
    reference of each. An approval names the digest of what its approver saw, so a line that
    changed, appeared, went or moved since voids it."""
    digest = hashlib.sha256(f"batch:{batch_id}\n".encode())
    lines = (
        PayoutBatchLine.objects.filter(batch_id=batch_id)
        .order_by("id")
        .values_list(
            "publisher_id", "currency", "amount", "payout_method", "payout_details", "reference"
        )
    )
    for publisher_id, currency, amount, method, details, reference in lines.iterator(
        chunk_size=2000
    ):
        row = [
            publisher_id,
            currency,
            money_str(amount, currency),
            method,
            json.dumps(details, sort_keys=True, separators=(",", ":")),
            reference,
        ]
        digest.update(json.dumps(row, separators=(",", ":")).encode() + b"\n")
    return digest.hexdigest()


def payout_batch_authors(*, batch: PayoutBatch) -> set[int]:
    """Who had a hand in what a batch pays, and so may not approve it: its builder, the authors
    of manual adjustments it includes, and whoever asked to change the payout details of one of
    its publishers since that publisher's previous paid batch."""
    authors = {batch.built_by_id} if batch.built_by_id else set()
    authors |= set(
        LedgerEntry.objects.filter(
            kind=LedgerEntry.Kind.ADJUSTMENT,
            created_by__isnull=False,
            inclusion__line__batch_id=batch.id,
        )
        .values_list("created_by_id", flat=True)
        .distinct()
    )
    publisher_ids = list(
        PayoutBatchLine.objects.filter(batch_id=batch.id).values_list("publisher_id", flat=True)
    )
    last_paid = dict(
        PayoutBatchLine.objects.filter(
            publisher_id__in=publisher_ids, batch__status=PayoutBatch.Status.PAID
        )
        .exclude(batch_id=batch.id)
        .values("publisher_id")
        .annotate(at=Max("batch__paid_at"))
        .values_list("publisher_id", "at")
    )
    authors |= payout_details_requesters_since(publisher_ids=publisher_ids, since=last_paid)
    return authors


def adjustment_requests_for(*, user: User) -> QuerySet[AdjustmentRequest]:
    """Pending and decided adjustment requests: finance and managers only."""
    if not (user.is_finance or user.is_manager):
        raise ForbiddenError("forbidden", "Adjustment requests are for finance and managers.")
    return AdjustmentRequest.objects.select_related("publisher", "requested_by", "decided_by")


def line_failure_requests(*, batch_id: int) -> QuerySet[LineFailureRequest]:
    return LineFailureRequest.objects.filter(line__batch_id=batch_id).select_related(
        "line", "requested_by", "decided_by"
    )


# Periods, tax forms and held payees ------------------------------------------------------------


def accounting_periods_for(*, user: User) -> QuerySet[AccountingPeriod]:
    """The months that have a row (validated or closed; a month without one is open): finance
    and managers only."""
    if not (user.is_authenticated and user.is_active and (user.is_finance or user.is_manager)):
        raise ForbiddenError("forbidden", "Accounting periods are for finance and managers.")
    return AccountingPeriod.objects.select_related("validated_by", "closed_by")


def tax_forms_visible_to(*, user: User) -> QuerySet[TaxForm]:
    """Finance and managers see every form; a publisher user its own publisher's."""
    forms = TaxForm.objects.select_related("publisher", "uploaded_by", "reviewed_by")
    if user.is_authenticated and user.is_active and (user.is_finance or user.is_manager):
        return forms
    if user.is_authenticated and user.is_active and user.publisher_id:
        return forms.filter(publisher_id=user.publisher_id)
    return forms.none()


def tax_form_hold_of(*, publisher_id: int, today: date | None = None) -> str | None:
    """Why a batch would hold the publisher out for its tax form, or None: only where
    TAX_FORM_REQUIRED is on and no accepted form is valid today (the network's calendar). The
    reason is the build's (payouts.services.build): tax_form_pending before _expired before
    _rejected, else tax_form_missing."""
    if not settings.TAX_FORM_REQUIRED:
        return None
    today = today or network_today(now=timezone.now())
    states = set()
    for status, valid_until in TaxForm.objects.filter(publisher_id=publisher_id).values_list(
        "status", "valid_until"
    ):
        if status == TaxForm.Status.ACCEPTED:
            if valid_until is None or valid_until >= today:
                return None
            status = "expired"
        states.add(status)
    for state in (TaxForm.Status.PENDING, "expired", TaxForm.Status.REJECTED):
        if state in states:
            return f"tax_form_{state}"
    return "tax_form_missing"


def payout_batch_held(*, batch_id: int, user: User) -> list[dict]:
    """Who a batch held out and why (as the build wrote it): finance and managers only."""
    batch = payout_batches_for(user=user).filter(id=batch_id).values_list("held", flat=True)
    found = batch.first()
    if found is None:
        raise NotFoundError("not_found", f"No payout batch {batch_id}.")
    return list(found)
