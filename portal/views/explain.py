"""Explain this payout, as pages: a conversion's explanation for each role (publisher, advertiser,
finance and managers), a ledger entry's, a publisher's recent earnings each explainable, and a
batch line's entries for finance. One selector each (payouts/explain.py) scopes the row to the
reader (a foreign id is a 404) and shows only the reader's side."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from core.errors import NotFoundError
from payouts.explain import (
    conversion_explain,
    ledger_entry_explain,
    payout_line_entries,
    publisher_recent_entries,
)
from payouts.selectors import tax_form_hold_of
from portal.roles import ADVERTISER, FINANCE, MANAGER, PUBLISHER, role_required


def _page(request: HttpRequest, template: str, read, **kwargs) -> HttpResponse:
    try:
        shown = read(user=request.user, **kwargs)
    except NotFoundError as exc:
        raise Http404(exc.message) from None
    return render(request, template, {"x": shown})


@role_required(PUBLISHER, ADVERTISER, FINANCE, MANAGER)
def conversion(request: HttpRequest, conversion_id: int) -> HttpResponse:
    return _page(
        request, "portal/explain/conversion.html", conversion_explain, conversion_id=conversion_id
    )


@role_required(PUBLISHER, FINANCE, MANAGER)
def ledger_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    return _page(request, "portal/explain/entry.html", ledger_entry_explain, entry_id=entry_id)


@role_required(PUBLISHER)
def earnings(request: HttpRequest) -> HttpResponse:
    rows = publisher_recent_entries(user=request.user)
    hold = tax_form_hold_of(publisher_id=request.user.publisher_id)
    return render(request, "portal/explain/earnings.html", {"entries": rows, "tax_form_hold": hold})


@role_required(FINANCE, MANAGER)
def batch_line(request: HttpRequest, batch_id: int, line_id: int) -> HttpResponse:
    return _page(
        request,
        "portal/explain/batch_line.html",
        payout_line_entries,
        batch_id=batch_id,
        line_id=line_id,
    )
