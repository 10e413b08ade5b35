"""Invoices: drafted from approved revenue, numbered and frozen at issue.

A draft is made any time; it is issued only once every month of its period is closed (payouts
AccountingPeriod: validated, then closed by another finance user), so it bills the closed books.
Its lines, per currency:
- charges: the approved conversions created in the period, never billed before: exactly the
  period's approved revenue;
- debits: approved conversions of earlier periods never billed (approved late), and invoiced
  conversions whose revenue rose since (an adjustment up);
- credits: invoiced conversions reversed, rejected or lowered since (an adjustment down, a lower
  sale amount).
A debit or credit is the difference between what a conversion's issued invoices billed and what
it is worth now (its revenue rounded once, core.money, if approved; else nothing), so an issued
invoice is never edited, a conversion is charged once (unique constraint) and credited at most
what was billed (a trigger, migrations/0003). Lines and totals are sums of rounded amounts, so an
invoice adds up to the cent.

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
from django.db.models import Case, DecimalField, Exists, F, OuterRef, Sum, Value, When
from django.db.models.functions import Round
from django.utils import timezone

from accounts.policy import Action, policy_require
from billing.models import Invoice, InvoiceCounter, InvoiceItem, InvoiceLine
from billing.periods import day_start, month_after, month_first
from core.errors import DomainError, NotFoundError
from core.money import currency_exponent, money_round
from offers.models import Advertiser, Goal, Offer
from payouts.models import AccountingPeriod
from tracking.models import Conversion

CHARGE, DEBIT, CREDIT = InvoiceLine.Kind.CHARGE, InvoiceLine.Kind.DEBIT, InvoiceLine.Kind.CREDIT
APPROVED = Conversion.Status.APPROVED


@dataclass(frozen=True)
class _Item:
    conversion_id: int
    offer_id: int
    goal_id: int
    amount: Decimal


def _issued_items(*, advertiser_id: int) -> Any:
    return InvoiceItem.objects.filter(
        invoice__status=Invoice.Status.ISSUED, invoice__advertiser_id=advertiser_id
    )


def _unbilled(*, advertiser_id: int, currency: str | None, before: date) -> Any:
    """Approved conversions created before `before` that no issued invoice holds."""
    billed = _issued_items(advertiser_id=advertiser_id).filter(conversion_id=OuterRef("id"))
    rows = Conversion.objects.filter(
        advertiser_id=advertiser_id,
        status=Conversion.Status.APPROVED,
        created_at__lt=day_start(before),
    ).filter(~Exists(billed))
    return rows if currency is None else rows.filter(currency=currency)


def _charges_and_late(
    *, advertiser_id: int, currency: str, start: date, end: date
) -> tuple[list[_Item], list[_Item]]:
    """Never billed approved conversions: those of the period (charges) and those of earlier
    periods, approved after their period's invoice (debits)."""
    rows = (
        _unbilled(advertiser_id=advertiser_id, currency=currency, before=end)
        .order_by("id")
        .values_list("id", "offer_id", "goal_id", "revenue", "created_at")
    )
    charges, late = [], []
    for cid, offer_id, goal_id, revenue, created_at in rows:
        item = _Item(cid, offer_id, goal_id, money_round(revenue, currency))
        (charges if created_at >= day_start(start) else late).append(item)
    return charges, late


def _changed(*, advertiser_id: int, currency: str) -> Any:
    """(conversion, offer, goal, status, revenue, billed) of every conversion whose issued
    invoices in `currency` bill something other than what it is worth now: its revenue rounded
    to the minor unit if approved, else nothing. Filtered in SQL (PostgreSQL rounds numeric half
    away from zero: half-up for amounts >= 0); the exact difference is taken in Python."""
    worth = Case(
        When(
            conversion__status=APPROVED,
            then=Round("conversion__revenue", currency_exponent(currency)),
        ),
        default=Value(Decimal(0)),
        output_field=DecimalField(max_digits=18, decimal_places=6),
    )
    return (
        _issued_items(advertiser_id=advertiser_id)
        .filter(invoice__currency=currency)
        .values(
            "conversion_id",
            "conversion__offer_id",
            "conversion__goal_id",
            "conversion__status",
            "conversion__revenue",
        )
        .annotate(billed=Sum("amount"), worth=worth)
        .exclude(billed=F("worth"))
        .order_by("conversion_id")
    )


def _adjustments(*, advertiser_id: int, currency: str) -> tuple[list[_Item], list[_Item]]:
    """What changed since billing: the difference between what a conversion's issued invoices
    billed and what it is worth now (its rounded revenue if approved, else nothing). Up: a debit;
    down: a credit, never more than was billed (the worth is never negative)."""
    debits, credits = [], []
    for row in _changed(advertiser_id=advertiser_id, currency=currency):
        approved = row["conversion__status"] == APPROVED
        worth = money_round(row["conversion__revenue"], currency) if approved else Decimal(0)
        delta = worth - row["billed"]
        if delta:
            item = _Item(
                row["conversion_id"],
                row["conversion__offer_id"],
                row["conversion__goal_id"],
                delta,
            )
            (debits if delta > 0 else credits).append(item)
    return debits, credits


_DESCRIPTIONS = {
    CHARGE: "{}",
    DEBIT: "Debit: {} (approved or raised after invoicing)",
    CREDIT: "Credit: {} (reversed, rejected or lowered after invoicing)",
}


def _describe(kind: str, offer: Offer, goal: Goal) -> str:
    return _DESCRIPTIONS[kind].format(f"{offer.name} / {goal.name}")


def _fill(invoice: Invoice) -> Invoice:
    """Replace a draft's lines and items with what is billable now; set its sums."""
    InvoiceItem.objects.filter(invoice=invoice).delete()
    InvoiceLine.objects.filter(invoice=invoice).delete()
    scope = {"advertiser_id": invoice.advertiser_id, "currency": invoice.currency}
    charges_now, late = _charges_and_late(
        **scope, start=invoice.period_start, end=invoice.period_end
    )
    raised, lowered = _adjustments(**scope)
    groups: dict[tuple[str, int, int], list[_Item]] = defaultdict(list)
    for kind, items in ((CHARGE, charges_now), (DEBIT, late + raised), (CREDIT, lowered)):
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
        if kind == CREDIT:
            credits += amount
        else:
            charges += amount
    invoice.charges, invoice.credits, invoice.total = charges, credits, charges + credits
    invoice.save(update_fields=["charges", "credits", "total"])
    return invoice


def _billable_currencies(*, advertiser_id: int, before: date) -> set[str]:
    currencies = set(
        _unbilled(advertiser_id=advertiser_id, currency=None, before=before)
        .values_list("currency", flat=True)
        .distinct()
    )
    issued = (
        Invoice.objects.filter(advertiser_id=advertiser_id, status=Invoice.Status.ISSUED)
        .values_list("currency", flat=True)
        .distinct()
    )
    for currency in set(issued) - currencies:
        if any(_adjustments(advertiser_id=advertiser_id, currency=currency)):
            currencies.add(currency)
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


def _open_months(*, start: date, end: date) -> list[date]:
    """The months overlapping [start, end) that are not closed (no AccountingPeriod row is an
    open month)."""
    months, month = [], month_first(start)
    while month < end:
        months.append(month)
        month = month_after(month)
    closed = set(
        AccountingPeriod.objects.filter(
            month__in=months, status=AccountingPeriod.Status.CLOSED
        ).values_list("month", flat=True)
    )
    return [month for month in months if month not in closed]


def invoice_issue(*, invoice_id: int, issued_by: Any) -> Invoice:
    """Refill the draft with what is billable now, number it and freeze it. Drafts are made
    any time; an invoice is issued only once every month of its period is closed (validated
    and closed by two finance users, payouts.services.periods), so it bills the books as
    closed, and what changes later is a debit or credit on the next invoice."""
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
        still_open = _open_months(start=invoice.period_start, end=invoice.period_end)
        if still_open:
            raise DomainError(
                "period_not_closed",
                f"{', '.join(f'{m:%Y-%m}' for m in still_open)} is not closed: an invoice is "
                "issued once its months are closed.",
                status_code=409,
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
