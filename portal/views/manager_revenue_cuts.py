"""The manager's revenue-cut queue, /network/revenue-cuts/: advertisers' requests to lower what
they pay on a live offer (offers/revenue_cut_services.py), each with the revenue in force now,
the revenue asked for and why; approve (confirmed first) or reject (with a reason). Approving
writes the terms through the offers' terms service, so it applies to new conversions only.
Below, the decided history. Each decision is a POST redirected back (POST-redirect-GET); a form
refused for its input is shown again with the message beside its field.
"""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError, NotFoundError
from offers.revenue_cut_services import (
    revenue_cut_approve,
    revenue_cut_proposed,
    revenue_cut_reject,
    revenue_cut_visible,
    revenue_cut_was,
    revenue_cuts_visible_to,
)
from offers.revenue_cuts import RevenueCutRequest
from portal.revenue_cut_forms import RevenueCutApproveForm, RevenueCutRejectForm
from portal.roles import MANAGER, role_required

HISTORY_SIZE = 50
PENDING = RevenueCutRequest.State.PENDING


def _row(cut: RevenueCutRequest, *, approve: Any = None, reject: Any = None) -> dict[str, Any]:
    """One request for the template: its figures in words, the revenue in force today, whether
    that is no longer what the advertiser asked from (`stale`: approving is refused), and its
    forms (bound when this one was just refused)."""
    terms = getattr(cut.goal, "terms", None)
    now = (
        (terms.revenue_kind, terms.revenue_amount, terms.revenue_percent)
        if terms is not None
        else None
    )
    was = (cut.was_revenue_kind, cut.was_revenue_amount, cut.was_revenue_percent)
    return {
        "cut": cut,
        "was": revenue_cut_was(cut),
        "proposed": revenue_cut_proposed(cut),
        "stale": cut.state == PENDING and now != was,
        "approve": approve or RevenueCutApproveForm(prefix=f"approve-{cut.pk}"),
        "reject": reject or RevenueCutRejectForm(prefix=f"reject-{cut.pk}"),
    }


def _page(request: HttpRequest, *, refused: dict[str, Any] | None = None) -> HttpResponse:
    """The queue; `refused` = {"id": request id, "approve"/"reject": the bound form}."""
    rows = revenue_cuts_visible_to(user=request.user).select_related("goal__terms")
    refused = refused or {}

    def forms_of(cut: RevenueCutRequest) -> dict[str, Any]:
        if refused.get("id") != cut.pk:
            return {}
        return {key: refused[key] for key in ("approve", "reject") if key in refused}

    pending = [
        _row(cut, **forms_of(cut))
        for cut in rows.filter(state=PENDING).order_by("requested_at", "id")
    ]
    history = [
        _row(cut)
        for cut in rows.exclude(state=PENDING).order_by("-decided_at", "-id")[:HISTORY_SIZE]
    ]
    return render(
        request,
        "portal/manager/revenue_cuts.html",
        {"pending": pending, "history": history},
        status=400 if refused else 200,
    )


def _visible_or_404(request: HttpRequest, request_id: int) -> RevenueCutRequest:
    try:
        return revenue_cut_visible(user=request.user, request_id=request_id)
    except NotFoundError:
        raise Http404("No such request.") from None


def _back(cut_id: int | None = None) -> HttpResponse:
    url = reverse("portal:manager-revenue-cuts")
    return redirect(url + (f"#cut-{cut_id}" if cut_id else "#decided"))


@role_required(MANAGER)
def revenue_cuts(request: HttpRequest) -> HttpResponse:
    return _page(request)


@role_required(MANAGER)
@require_POST
def revenue_cut_approve_post(request: HttpRequest, request_id: int) -> HttpResponse:
    cut = _visible_or_404(request, request_id)
    form = RevenueCutApproveForm(request.POST, prefix=f"approve-{cut.pk}")
    if not form.is_valid():
        return _page(request, refused={"id": cut.pk, "approve": form})
    try:
        cut = revenue_cut_approve(request_id=cut.pk, approved_by=request.user)
    except DomainError as exc:
        messages.error(request, f"Not approved: {exc.message}")
        return _back(cut.pk)
    messages.success(
        request,
        f"Approved: {cut.offer.name}, goal {cut.goal.name}, now earns "
        f"{revenue_cut_proposed(cut)} on new conversions.",
    )
    return _back()


@role_required(MANAGER)
@require_POST
def revenue_cut_reject_post(request: HttpRequest, request_id: int) -> HttpResponse:
    cut = _visible_or_404(request, request_id)
    form = RevenueCutRejectForm(request.POST, prefix=f"reject-{cut.pk}")
    if not form.is_valid():
        return _page(request, refused={"id": cut.pk, "reject": form})
    try:
        cut = revenue_cut_reject(
            request_id=cut.pk,
            rejected_by=request.user,
            reason=form.cleaned_data["rejection_reason"],
        )
    except DomainError as exc:
        if exc.fields:
            for message in exc.fields.get("rejection_reason", []):
                form.add_error("rejection_reason", message)
            return _page(request, refused={"id": cut.pk, "reject": form})
        messages.error(request, f"Not rejected: {exc.message}")
        return _back(cut.pk)
    messages.success(request, f"Rejected: {cut.offer.name}, goal {cut.goal.name}.")
    return _back()
