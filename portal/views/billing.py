"""Finance pages for advertiser billing: invoices (draft for a month, issue, PDF and CSV),
payments recorded against them, and receivables per advertiser. Managers may read them; only
finance acts (the services ask accounts.policy, and a refusal is shown as a message)."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.policy import Action, policy_roles
from billing.documents import invoice_csv, invoice_filename, invoice_pdf
from billing.models import Invoice
from billing.selectors import (
    advertiser_balances_for,
    invoice_page_context,
    invoice_state,
    invoices_for,
    payments_for,
)
from billing.services.invoices import invoice_drafts_build, invoice_issue
from billing.services.receivables import invoice_payment_record
from core.errors import DomainError
from offers.models import Advertiser
from portal.roles import STAFF, role_required

PAGE_SIZE = 50


def _month(raw: str) -> date | None:
    try:
        year, month = (int(part) for part in raw.split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


@role_required(*STAFF)
def invoices(request: HttpRequest) -> HttpResponse:
    rows = invoices_for(user=request.user).order_by("-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for invoice in page:
        invoice.state = invoice_state(invoice)
    names = dict(Advertiser.objects.values_list("id", "name"))
    balances = [
        {**row, "advertiser_name": names.get(row["advertiser_id"], "")}
        for row in advertiser_balances_for(user=request.user)
    ]
    return render(
        request,
        "portal/finance/invoices.html",
        {
            "page": page,
            "balances": balances,
            "advertisers": Advertiser.objects.order_by("name"),
            "can_act": request.user.role in policy_roles(Action.INVOICE_BUILD),
        },
    )


@require_POST
@role_required(*STAFF)
def invoice_draft(request: HttpRequest) -> HttpResponse:
    month = _month(request.POST.get("month", ""))
    advertiser = request.POST.get("advertiser", "")
    if month is None or not advertiser.isdigit():
        messages.error(request, "Pick an advertiser and a month (YYYY-MM).")
        return redirect("portal:finance-invoices")
    try:
        drafts = invoice_drafts_build(
            advertiser_id=int(advertiser), period_start=month, built_by=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:finance-invoices")
    if not drafts:
        messages.info(request, "Nothing to bill for that advertiser and month.")
        return redirect("portal:finance-invoices")
    messages.success(request, f"{len(drafts)} draft invoice(s) built.")
    return redirect("portal:finance-invoice", invoice_id=drafts[0].id)


def _invoice(request: HttpRequest, invoice_id: int):
    invoice = invoices_for(user=request.user).filter(id=invoice_id).first()
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


@role_required(*STAFF)
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(request, invoice_id)
    return render(
        request,
        "portal/finance/invoice.html",
        {
            **invoice_page_context(invoice, user=request.user),
            "can_act": request.user.role in policy_roles(Action.INVOICE_ISSUE),
        },
    )


@require_POST
@role_required(*STAFF)
def invoice_issue_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(request, invoice_id)
    try:
        issued = invoice_issue(invoice_id=invoice.id, issued_by=request.user)
        messages.success(request, f"Invoice {issued.number_display} issued.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal:finance-invoice", invoice_id=invoice.id)


@require_POST
@role_required(*STAFF)
def invoice_pay(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(request, invoice_id)
    try:
        amount = Decimal(request.POST.get("amount", ""))
        received_on = date.fromisoformat(request.POST.get("received_on", ""))
    except (InvalidOperation, ValueError):
        messages.error(request, "Give an amount and the date it was received (YYYY-MM-DD).")
        return redirect("portal:finance-invoice", invoice_id=invoice.id)
    try:
        invoice_payment_record(
            invoice_id=invoice.id,
            amount=amount,
            received_on=received_on,
            reference=request.POST.get("reference", "")[:200],
            recorded_by=request.user,
        )
        messages.success(request, "Payment recorded.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal:finance-invoice", invoice_id=invoice.id)


@role_required(*STAFF)
def invoice_file(request: HttpRequest, invoice_id: int, kind: str) -> HttpResponse:
    return invoice_download(_invoice(request, invoice_id), kind)


def invoice_download(invoice: Invoice, kind: str) -> HttpResponse:
    """An invoice's PDF or CSV as an attachment (finance's page here, the advertiser's own in
    portal/views/advertiser_invoices.py); another kind is a 404."""
    if kind == "pdf":
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    elif kind == "csv":
        response = HttpResponse(invoice_csv(invoice), content_type="text/csv; charset=utf-8")
    else:
        raise Http404("PDF or CSV.")
    response["Content-Disposition"] = f'attachment; filename="{invoice_filename(invoice, kind)}"'
    return response


@role_required(*STAFF)
def payments(request: HttpRequest) -> HttpResponse:
    rows = payments_for(user=request.user).order_by("-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/finance/payments.html", {"page": page})
