"""Finance pages: payout batches (build, review, approve by someone who authored none of it,
export, mark paid, fail a line with a second finance user), payout details changes and large
adjustments waiting for a confirmation, balances by publisher. Managers may read them; only
finance users act (the services ask accounts.policy, and a refusal is shown as a message)."""

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.policy import Action, policy_allows
from affiliates.payout_details import (
    payout_details_change_confirm,
    payout_details_change_reject,
    payout_details_changes_visible_to,
)
from affiliates.selectors import publishers_visible_to
from core.errors import DomainError
from payouts.exports import payout_batch_csv_filename
from payouts.selectors import (
    adjustment_requests_for,
    line_failure_requests,
    payout_batch_authors,
    payout_batch_digest,
    payout_batch_lines,
    payout_batches_for,
)
from payouts.services import (
    ledger_adjustment_confirm,
    ledger_adjustment_reject,
    payout_batch_approve,
    payout_batch_build,
    payout_batch_export,
    payout_batch_mark_paid,
    payout_line_failure_confirm,
    payout_line_failure_reject,
    payout_line_failure_request,
)
from portal.form_errors import form_errors_add
from portal.forms import BatchApproveForm, BatchBuildForm, BatchExportForm, LineFailForm
from portal.roles import STAFF, role_required
from portal.selectors import balances_by_publisher

PAGE_SIZE = 50


def _batches_page(request: HttpRequest, form: BatchBuildForm, status: int = 200) -> HttpResponse:
    batches = payout_batches_for(user=request.user).order_by("-id")
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "portal/finance/batches.html", {"page": page, "form": form}, status=status
    )


@role_required(*STAFF)
def batches(request: HttpRequest) -> HttpResponse:
    return _batches_page(request, BatchBuildForm())


@role_required(*STAFF)
@require_POST
def batch_build(request: HttpRequest) -> HttpResponse:
    form = BatchBuildForm(request.POST)
    if form.is_valid():
        try:
            batch = payout_batch_build(
                currency=form.cleaned_data["currency"],
                cut_off=form.cleaned_data["cut_off"],
                built_by=request.user,
            )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            messages.success(
                request, f"Draft batch {batch.id} built: {batch.total} {batch.currency}."
            )
            return redirect("portal:finance-batch", batch_id=batch.id)
    return _batches_page(request, form)


def _batch(request: HttpRequest, batch_id: int):
    batch = payout_batches_for(user=request.user).filter(id=batch_id).first()
    if batch is None:
        raise Http404("No such batch.")
    return batch


@role_required(*STAFF)
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    digest = payout_batch_digest(batch_id=batch.id)
    authors = payout_batch_authors(batch=batch)
    failures = {
        request_.line_id: request_
        for request_ in line_failure_requests(batch_id=batch.id).filter(state="pending")
    }
    lines = list(payout_batch_lines(batch_id=batch.id).select_related("publisher"))
    for line in lines:
        line.pending_failure = failures.get(line.id)
    return render(
        request,
        "portal/finance/batch_detail.html",
        {
            "batch": batch,
            "lines": lines,
            "digest": digest,
            "may_approve": policy_allows(
                action=Action.BATCH_APPROVE, user=request.user, facts={"authors": authors}
            ),
            "is_author": request.user.pk in authors,
            "may_act": policy_allows(action=Action.BATCH_MARK_PAID, user=request.user),
            "approve_form": BatchApproveForm(
                initial={"digest": digest, "expected_total": batch.total}
            ),
            "export_form": BatchExportForm(),
            "fail_form": LineFailForm(),
        },
    )


@role_required(*STAFF)
@require_POST
def batch_approve(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    form = BatchApproveForm(request.POST)
    valid = form.is_valid()
    expected: Decimal | None = form.cleaned_data.get("expected_total") if valid else None
    digest: str = form.cleaned_data.get("digest", "") if valid else ""
    try:
        payout_batch_approve(
            batch_id=batch.id, approved_by=request.user, digest=digest, expected_total=expected
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Batch {batch.id} approved.")
    return redirect("portal:finance-batch", batch_id=batch.id)


@role_required(*STAFF)
@require_POST
def line_fail(request: HttpRequest, batch_id: int, line_id: int, verb: str) -> HttpResponse:
    """Ask (`request`), confirm or reject a paid line's failure."""
    if verb not in ("request", "confirm", "reject"):
        raise Http404("No such action.")
    batch = _batch(request, batch_id)
    try:
        if verb == "request":
            form = LineFailForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            payout_line_failure_request(
                batch_id=batch.id, line_id=line_id, requested_by=request.user, reason=reason
            )
            done = "marked failed once another finance user confirms"
        elif verb == "confirm":
            payout_line_failure_confirm(
                batch_id=batch.id, line_id=line_id, confirmed_by=request.user
            )
            done = "marked failed: its amount is owed again"
        else:
            payout_line_failure_reject(batch_id=batch.id, line_id=line_id, rejected_by=request.user)
            done = "left paid"
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Line {line_id} {done}.")
    return redirect("portal:finance-batch", batch_id=batch.id)


@role_required(*STAFF)
def confirmations(request: HttpRequest) -> HttpResponse:
    """What waits for a second person: payout details changes and large adjustments."""
    return render(
        request,
        "portal/finance/confirmations.html",
        {
            "changes": payout_details_changes_visible_to(user=request.user).filter(state="pending"),
            "adjustments": adjustment_requests_for(user=request.user).filter(state="pending"),
        },
    )


def _second_person_decide(
    request: HttpRequest, *, verb: str, label: str, visible: bool, confirm, reject
) -> HttpResponse:
    """Confirm or reject a request waiting for a second person; the service asks the policy."""
    if verb not in ("confirm", "reject"):
        raise Http404("No such action.")
    if not visible:
        raise Http404(f"No such {label}.")
    try:
        if verb == "confirm":
            confirm()
        else:
            reject()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{label.capitalize()} {verb}ed.")
    return redirect("portal:finance-confirmations")


@role_required(*STAFF)
@require_POST
def payout_details_change_decide(request: HttpRequest, change_id: int, verb: str) -> HttpResponse:
    return _second_person_decide(
        request,
        verb=verb,
        label=f"payout details change {change_id}",
        visible=payout_details_changes_visible_to(user=request.user).filter(id=change_id).exists(),
        confirm=lambda: payout_details_change_confirm(
            change_id=change_id, confirmed_by=request.user
        ),
        reject=lambda: payout_details_change_reject(change_id=change_id, rejected_by=request.user),
    )


@role_required(*STAFF)
@require_POST
def adjustment_decide(request: HttpRequest, request_id: int, verb: str) -> HttpResponse:
    return _second_person_decide(
        request,
        verb=verb,
        label=f"adjustment request {request_id}",
        visible=adjustment_requests_for(user=request.user).filter(id=request_id).exists(),
        confirm=lambda: ledger_adjustment_confirm(request_id=request_id, confirmed_by=request.user),
        reject=lambda: ledger_adjustment_reject(request_id=request_id, rejected_by=request.user),
    )


@role_required(*STAFF)
@require_POST
def batch_export(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    form = BatchExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an export format.")
        return redirect("portal:finance-batch", batch_id=batch.id)
    export_format = form.cleaned_data["export_format"]
    try:
        batch, text = payout_batch_export(
            batch_id=batch.id, exported_by=request.user, export_format=export_format
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:finance-batch", batch_id=batch.id)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    filename = payout_batch_csv_filename(batch=batch, export_format=export_format)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@role_required(*STAFF)
@require_POST
def batch_mark_paid(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    try:
        payout_batch_mark_paid(batch_id=batch.id, paid_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Batch {batch.id} marked paid.")
    return redirect("portal:finance-batch", batch_id=batch.id)


@role_required(*STAFF)
def balances(request: HttpRequest) -> HttpResponse:
    ids = publishers_visible_to(user=request.user).order_by("id").values_list("id", flat=True)
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = balances_by_publisher(user=request.user, publisher_ids=list(page.object_list))
    return render(request, "portal/finance/balances.html", {"page": page, "rows": rows})
