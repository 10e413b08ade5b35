"""An advertiser's invoices: the list (number, period, currency, total, paid, amount due), one
invoice with its lines, the credit and debit notes later invoices carry for it, and payments,
and its PDF and CSV. Only its own issued invoices (billing.selectors.invoices_for): another
advertiser's is a 404, and other roles are refused by role_required (staff use the finance
pages)."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from billing.models import Invoice
from billing.selectors import invoice_page_context, invoice_state, invoices_for
from portal.roles import ADVERTISER, role_required
from portal.views.billing import invoice_download

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
        invoice.outstanding = invoice.total - invoice.paid
    return render(request, "portal/advertiser/invoices.html", {"page": page})


@role_required(ADVERTISER)
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _own(request, invoice_id)
    return render(
        request,
        "portal/advertiser/invoice.html",
        invoice_page_context(invoice, user=request.user),
    )


@role_required(ADVERTISER)
def invoice_file(request: HttpRequest, invoice_id: int, kind: str) -> HttpResponse:
    return invoice_download(_own(request, invoice_id), kind)
