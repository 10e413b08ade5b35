"""Invoices: drafted from approved revenue, numbered and frozen at issue.

A draft holds, per currency, every approved conversion of the advertiser created before the
period's end that no invoice has charged yet (late approvals of an earlier period land on the
next invoice, never nowhere), and a credit for every conversion charged on an issued invoice
and reversed or rejected since. Lines sum the conversions' revenue, each rounded once to the
currency's minor unit (core.money), so the invoice adds up to the cent with what it bills.

Issue refills the draft inside its transaction (so it bills what is true at that moment), then
takes the next number of its series from a counter row locked FOR UPDATE: numbers are gap-free,
because a rolled-back issue rolls its increment back too. Lock order: advertiser, invoice,
counter.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.policy import Action, policy_require
from billing.models import Invoice, InvoiceCounter, InvoiceItem, InvoiceLine
from billing.periods import day_start, month_after
from core.errors import DomainError, NotFoundError
from core.money import money_round
from offers.models import Advertiser, Goal, Offer
from tracking.models import Conversion

CHARGE, CREDIT = InvoiceLine.Kind.CHARGE, InvoiceLine.Kind.CREDIT
# Conversions whose revenue is taken back once they were billed.
UNBILLED_STATUSES = (Conversion.Status.REVERSED, Conversion.Status.REJECTED)


@dataclass(frozen=True)
class _Item:
    conversion_id: int
    offer_id: int
    goal_id: int
    amount: Decimal


def _charges(*, advertiser_id: int, currency: str, before: date) -> list[_Item]:
    charged = InvoiceItem.objects.filter(conversion_id=OuterRef("id"), kind=CHARGE)
    rows = (
        Conversion.objects.filter(
            advertiser_id=advertiser_id,
            currency=currency,
            status=Conversion.Status.APPROVED,
            created_at__lt=day_start(before),
        )
        .filter(~Exists(charged))
        .order_by("id")
        .values_list("id", "offer_id", "goal_id", "revenue")
    )
    return [
        _Item(cid, offer_id, goal_id, money_round(revenue, currency))
        for cid, offer_id, goal_id, revenue in rows
    ]


def _credits(*, advertiser_id: int, currency: str) -> list[_Item]:
    credited = InvoiceItem.objects.filter(conversion_id=OuterRef("conversion_id"), kind=CREDIT)
    rows = (
        InvoiceItem.objects.filter(
            kind=CHARGE,
            invoice__status=Invoice.Status.ISSUED,
            invoice__advertiser_id=advertiser_id,
            invoice__currency=currency,
            conversion__status__in=UNBILLED_STATUSES,
        )
        .filter(~Exists(credited))
        .order_by("conversion_id")
        .values_list("conversion_id", "line__offer_id", "line__goal_id", "amount")
    )
    return [_Item(cid, offer_id, goal_id, -amount) for cid, offer_id, goal_id, amount in rows]


def _describe(kind: str, offer: Offer, goal: Goal) -> str:
    text = f"{offer.name} / {goal.name}"
    return f"Credit: {text} (reversed or rejected after invoicing)" if kind == CREDIT else text


def _fill(invoice: Invoice) -> Invoice:
    """Replace a draft's lines and items with what is billable now; set its sums."""
    InvoiceItem.objects.filter(invoice=invoice).delete()
    InvoiceLine.objects.filter(invoice=invoice).delete()
    groups: dict[tuple[str, int, int], list[_Item]] = defaultdict(list)
    for kind, items in (
        (
            CHARGE,
            _charges(
                advertiser_id=invoice.advertiser_id,
                currency=invoice.currency,
                before=invoice.period_end,
            ),
        ),
        (CREDIT, _credits(advertiser_id=invoice.advertiser_id, currency=invoice.currency)),
    ):
        for item in items:
            groups[(kind, item.offer_id, item.goal_id)].append(item)
    offers = Offer.objects.in_bulk({offer_id for _, offer_id, _ in groups})
    goals = Goal.objects.in_bulk({goal_id for _, _, goal_id in groups})
    charges = credits = Decimal(0)
    for (kind, offer_id, goal_id), items in sorted(groups.items()):
        amount = sum((item.amount for item in items), Decimal(0))
        line = InvoiceLine.objects.create(
            invoice=invoice,
            kind=kind,
            offer_id=offer_id,
            goal_id=goal_id,
            description=_describe(kind, offers[offer_id], goals[goal_id]),
            quantity=len(items),
            amount=amount,
        )
        InvoiceItem.objects.bulk_create(
            InvoiceItem(
                invoice=invoice,
                line=line,
                kind=kind,
                conversion_id=item.conversion_id,
                amount=item.amount,
            )
            for item in items
        )
        if kind == CHARGE:
            charges += amount
        else:
            credits += amount
    invoice.charges, invoice.credits, invoice.total = charges, credits, charges + credits
    invoice.save(update_fields=["charges", "credits", "total"])
    return invoice


def _billable_currencies(*, advertiser_id: int, before: date) -> set[str]:
    charged = InvoiceItem.objects.filter(conversion_id=OuterRef("id"), kind=CHARGE)
    currencies = set(
        Conversion.objects.filter(
            advertiser_id=advertiser_id,
            status=Conversion.Status.APPROVED,
            created_at__lt=day_start(before),
        )
        .filter(~Exists(charged))
        .values_list("currency", flat=True)
        .distinct()
    )
    credited = InvoiceItem.objects.filter(conversion_id=OuterRef("conversion_id"), kind=CREDIT)
    currencies |= set(
        InvoiceItem.objects.filter(
            kind=CHARGE,
            invoice__status=Invoice.Status.ISSUED,
            invoice__advertiser_id=advertiser_id,
            conversion__status__in=UNBILLED_STATUSES,
        )
        .filter(~Exists(credited))
        .values_list("invoice__currency", flat=True)
        .distinct()
    )
    return currencies


def invoice_drafts_build(
    *, advertiser_id: int, period_start: date, period_end: date | None = None, built_by: Any
) -> list[Invoice]:
    """Draft (or redraft) the advertiser's invoices for [period_start, period_end), one per
    currency with something to bill. Default period: the calendar month of period_start."""
    policy_require(action=Action.INVOICE_BUILD, user=built_by)
    for name, day in (("period_start", period_start), ("period_end", period_end)):
        if day is not None and not 2000 <= day.year <= 2999:
            raise DomainError.for_field(name, "invalid", "A date between 2000 and 2999.")
    period_end = period_end or month_after(period_start)
    if period_end <= period_start:
        raise DomainError.for_field("period_end", "invalid", "The period ends after it starts.")
    with transaction.atomic():
        # One build or issue per advertiser at a time: the items' uniqueness is the backstop.
        if not Advertiser.objects.select_for_update().filter(id=advertiser_id).exists():
            # An id from the body, not the path: a 400 naming the field, as for any reference.
            raise DomainError.for_field(
                "advertiser", "does_not_exist", f"No advertiser {advertiser_id}."
            )
        drafts = []
        currencies = _billable_currencies(advertiser_id=advertiser_id, before=period_end)
        stale = Invoice.objects.filter(
            advertiser_id=advertiser_id, status=Invoice.Status.DRAFT
        ).exclude(period_start=period_start, period_end=period_end, currency__in=currencies)
        # Another period's draft would hold conversions this one should bill: drafts are
        # work in progress, so the newest build wins.
        stale.delete()
        for currency in sorted(currencies):
            invoice, _ = Invoice.objects.get_or_create(
                advertiser_id=advertiser_id,
                currency=currency,
                period_start=period_start,
                period_end=period_end,
                defaults={"built_by": built_by},
            )
            if invoice.status != Invoice.Status.DRAFT:
                raise DomainError(
                    "already_issued",
                    f"Invoice {invoice.number_display} for this period is issued; what changed "
                    "since is billed on the next period's invoice.",
                    status_code=409,
                )
            drafts.append(_fill(invoice))
    return drafts


def _next_number(series: str) -> int:
    InvoiceCounter.objects.bulk_create([InvoiceCounter(series=series)], ignore_conflicts=True)
    counter = InvoiceCounter.objects.select_for_update().get(series=series)
    number = counter.next_number
    counter.next_number = number + 1
    counter.save(update_fields=["next_number"])
    return number


def invoice_series(*, issued_at: Any) -> str:
    return f"{settings.BILLING_INVOICE_PREFIX}-{issued_at.year}"


def invoice_issue(*, invoice_id: int, issued_by: Any) -> Invoice:
    """Refill the draft with what is billable now, number it and freeze it."""
    policy_require(action=Action.INVOICE_ISSUE, user=issued_by)
    with transaction.atomic():
        advertiser_id = (
            Invoice.objects.filter(id=invoice_id).values_list("advertiser_id", flat=True).first()
        )
        if advertiser_id is None:
            raise NotFoundError("not_found", f"No invoice {invoice_id}.")
        Advertiser.objects.select_for_update().filter(id=advertiser_id).exists()
        invoice = Invoice.objects.select_for_update().get(id=invoice_id)
        if invoice.status != Invoice.Status.DRAFT:
            raise DomainError(
                "already_issued", f"Invoice {invoice.number_display} is issued.", status_code=409
            )
        _fill(invoice)
        if not invoice.lines.exists():
            raise DomainError("empty", "Nothing to bill on this invoice any more.", status_code=409)
        now = timezone.now()
        invoice.series = invoice_series(issued_at=now)
        invoice.number = _next_number(invoice.series)
        invoice.status = Invoice.Status.ISSUED
        invoice.issued_at, invoice.issued_by = now, issued_by
        invoice.save(update_fields=["series", "number", "status", "issued_at", "issued_by"])
    return invoice
