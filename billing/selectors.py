"""Billing reads: invoices as each role may see them, receivables, funds and budgets."""

from decimal import Decimal
from functools import partial
from typing import Any

from django.db.models import Count, DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.selectors import user_role
from billing.models import Invoice, InvoiceItem, InvoiceLine, Payment, RevenueBudget, TopUp
from billing.services.funds import advertiser_funds
from core.errors import ForbiddenError

STAFF = ("manager", "finance")


def _paid_subquery() -> Coalesce:
    paid = (
        Payment.objects.filter(invoice_id=OuterRef("id"))
        .values("invoice_id")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return Coalesce(
        Subquery(paid, output_field=DecimalField(max_digits=18, decimal_places=6)),
        Value(Decimal(0)),
        output_field=DecimalField(max_digits=18, decimal_places=6),
    )


def invoices_for(*, user: Any) -> QuerySet[Invoice]:
    """Finance and managers: every invoice; an advertiser user: its own issued ones; anyone
    else is refused (publishers never see what advertisers pay)."""
    role = user_role(user)
    invoices = Invoice.objects.select_related("advertiser").annotate(paid=_paid_subquery())
    if role in STAFF:
        return invoices
    if role == "advertiser" and user.advertiser_id is not None:
        return invoices.filter(advertiser_id=user.advertiser_id, status=Invoice.Status.ISSUED)
    raise ForbiddenError("forbidden", "Invoices are for finance, managers and their advertiser.")


def invoice_state(invoice: Invoice) -> str:
    """draft, issued, partly_paid or paid: payments are rows, so the invoice itself never
    changes after issue."""
    if invoice.status == Invoice.Status.DRAFT:
        return "draft"
    paid = getattr(invoice, "paid", None)
    if paid is None:
        paid = Payment.objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"] or 0
    if paid <= 0:
        return "issued"
    return "paid" if paid >= invoice.total else "partly_paid"


def invoice_lines(*, invoice_id: int) -> QuerySet[InvoiceLine]:
    return InvoiceLine.objects.filter(invoice_id=invoice_id).select_related("offer", "goal")


def payments_for(*, user: Any) -> QuerySet[Payment]:
    role = user_role(user)
    payments = Payment.objects.select_related("invoice", "invoice__advertiser", "recorded_by")
    if role in STAFF:
        return payments
    if role == "advertiser" and user.advertiser_id is not None:
        return payments.filter(invoice__advertiser_id=user.advertiser_id)
    raise ForbiddenError("forbidden", "Payments are for finance, managers and their advertiser.")


def receivables(*, advertiser_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Per advertiser and currency: issued total, paid, outstanding (what it still owes)."""
    invoices = Invoice.objects.filter(status=Invoice.Status.ISSUED)
    if advertiser_ids is not None:
        invoices = invoices.filter(advertiser_id__in=advertiser_ids)
    billed = {
        (a, c): s
        for a, c, s in invoices.values_list("advertiser_id", "currency").annotate(s=Sum("total"))
    }
    payments = Payment.objects.filter(invoice__in=invoices)
    paid = {
        (a, c): s
        for a, c, s in payments.values_list("invoice__advertiser_id", "currency").annotate(
            s=Sum("amount")
        )
    }
    return [
        {
            "advertiser_id": advertiser_id,
            "currency": currency,
            "invoiced": total,
            "paid": paid.get((advertiser_id, currency), Decimal(0)),
            "outstanding": total - paid.get((advertiser_id, currency), Decimal(0)),
        }
        for (advertiser_id, currency), total in sorted(billed.items())
    ]


def advertiser_balances_for(*, user: Any) -> list[dict[str, Any]]:
    """Funds (limit, received, booked, available) and receivables, merged per advertiser and
    currency; an advertiser user sees its own."""
    role = user_role(user)
    if role in STAFF:
        ids = None
    elif role == "advertiser" and user.advertiser_id is not None:
        ids = [user.advertiser_id]
    else:
        raise ForbiddenError(
            "forbidden", "Balances are for finance, managers and their advertiser."
        )
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for row in receivables(advertiser_ids=ids):
        rows[(row["advertiser_id"], row["currency"])] = {
            **row,
            "funds_control": False,
            "credit_limit": None,
            "received": None,
            "booked": None,
            "available": None,
            "paused": False,
        }
    for row in advertiser_funds(advertiser_ids=ids):
        key = (row["advertiser_id"], row["currency"])
        base = rows.get(key) or {
            "advertiser_id": key[0],
            "currency": key[1],
            "invoiced": Decimal(0),
            "paid": Decimal(0),
            "outstanding": Decimal(0),
        }
        rows[key] = {
            **base,
            "funds_control": True,
            "credit_limit": row["credit_limit"],
            "received": row["received"],
            "booked": row["booked"],
            "available": row["available"],
            "paused": row["available"] <= 0,
        }
    return [rows[key] for key in sorted(rows)]


def top_ups_for(*, user: Any) -> QuerySet[TopUp]:
    role = user_role(user)
    if role in STAFF:
        return TopUp.objects.all()
    if role == "advertiser" and user.advertiser_id is not None:
        return TopUp.objects.filter(advertiser_id=user.advertiser_id)
    raise ForbiddenError("forbidden", "Top-ups are for finance, managers and their advertiser.")


def budgets_for(*, user: Any) -> QuerySet[RevenueBudget]:
    role = user_role(user)
    if role in STAFF:
        return RevenueBudget.objects.select_related("offer")
    if role == "advertiser" and user.advertiser_id is not None:
        return RevenueBudget.objects.select_related("offer").filter(
            offer__advertiser_id=user.advertiser_id
        )
    raise ForbiddenError("forbidden", "Budgets are for finance, managers and their advertiser.")


def invoice_later_changes(*, invoice: Invoice) -> list[dict[str, Any]]:
    """Credit and debit notes on later issued invoices for conversions this invoice charged:
    per later invoice, the credited and debited sums (what changed after this one was issued)."""
    charged = InvoiceItem.objects.filter(invoice=invoice, kind=InvoiceLine.Kind.CHARGE).values(
        "conversion_id"
    )
    rows = (
        InvoiceItem.objects.filter(
            conversion_id__in=charged,
            kind__in=[InvoiceLine.Kind.CREDIT, InvoiceLine.Kind.DEBIT],
            invoice__status=Invoice.Status.ISSUED,
        )
        .exclude(invoice=invoice)
        .values("invoice_id", "invoice__series", "invoice__number", "kind")
        .annotate(amount=Sum("amount"), quantity=Count("id"))
        .order_by("invoice__number", "invoice_id", "kind")
    )
    return [
        {
            "invoice_id": row["invoice_id"],
            "number": f"{row['invoice__series']}-{row['invoice__number']:06d}",
            "kind": row["kind"],
            "quantity": row["quantity"],
            "amount": row["amount"],
        }
        for row in rows
    ]


def invoice_page_context(invoice: Invoice, *, user: Any) -> dict[str, Any]:
    """What an invoice's page shows, the advertiser's and finance's alike: its state, what is
    still outstanding (`invoice` comes from invoices_for, which sums its payments), its lines,
    the credit and debit notes later invoices carry for it, and the payments `user` may see.
    `later` is read only if the page shows it (a template calls it)."""
    return {
        "invoice": invoice,
        "state": invoice_state(invoice),
        "outstanding": invoice.total - invoice.paid,
        "lines": invoice_lines(invoice_id=invoice.id),
        "later": partial(invoice_later_changes, invoice=invoice),
        "payments": payments_for(user=user).filter(invoice=invoice),
    }
