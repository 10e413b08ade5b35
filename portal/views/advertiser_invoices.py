"""An advertiser's invoices: the list (number, period, currency, total, paid, amount due), one
invoice with its lines, the credit and debit notes later invoices carry for it, and payments,
and its PDF and CSV. Only its own issued invoices (billing.selectors.invoices_for): another
advertiser's is a 404, and other roles are refused by role_required (staff use the finance
pages)."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from billing.documents import invoice_csv, invoice_filename, invoice_pdf
from billing.models import Invoice
from billing.selectors import (
    invoice_later_changes,
    invoice_lines,
    invoice_state,
    invoices_for,
    payments_for,
)
from portal.roles import ADVERTISER, role_required

PAGE_SIZE = 50


def _own(request: HttpRequest, invoice_id: int) -> Invoice:
    invoice = invoices_for(user=request.user).filter(id=invoice_id).first()
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


@role_required(ADVERTISER)
def invoices(request: HttpRequest) -> HttpResponse:
    rows = invoices_for(user=request.user).order_by("-period_start", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for invoice in page:
        invoice.state = invoice_state(invoice)
        invoice.due = invoice.total - invoice.paid
    return render(request, "portal/advertiser/invoices.html", {"page": page})


@role_required(ADVERTISER)
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _own(request, invoice_id)
    return render(
        request,
        "portal/advertiser/invoice.html",
        {
            "invoice": invoice,
            "state": invoice_state(invoice),
            "due": invoice.total - invoice.paid,
            "lines": invoice_lines(invoice_id=invoice.id),
            "later": invoice_later_changes(invoice=invoice),
            "payments": payments_for(user=request.user).filter(invoice=invoice),
        },
    )


@role_required(ADVERTISER)
def invoice_file(request: HttpRequest, invoice_id: int, kind: str) -> HttpResponse:
    invoice = _own(request, invoice_id)
    if kind == "pdf":
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    elif kind == "csv":
        response = HttpResponse(invoice_csv(invoice), content_type="text/csv; charset=utf-8")
    else:
        raise Http404("PDF or CSV.")
    response["Content-Disposition"] = f'attachment; filename="{invoice_filename(invoice, kind)}"'
    return response
