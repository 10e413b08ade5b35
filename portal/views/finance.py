"""Finance pages: payout batches (build, review, approve by a second person, export, mark
paid) and balances by publisher. Managers may read them; only finance users act (the payouts
services refuse anyone else, and the refusal is shown as a message)."""

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from affiliates.selectors import publishers_visible_to
from config.errors import DomainError
from payouts.exports import payout_batch_csv_filename
from payouts.selectors import payout_batch_lines, payout_batches_for
from payouts.services import (
    payout_batch_approve,
    payout_batch_build,
    payout_batch_export,
    payout_batch_mark_paid,
)
from portal.form_errors import form_errors_add
from portal.forms import BatchApproveForm, BatchBuildForm, BatchExportForm
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
    return render(
        request,
        "portal/finance/batch_detail.html",
        {
            "batch": batch,
            "lines": payout_batch_lines(batch_id=batch.id).select_related("publisher"),
            "approve_form": BatchApproveForm(initial={"expected_total": batch.total}),
            "export_form": BatchExportForm(),
        },
    )


@role_required(*STAFF)
@require_POST
def batch_approve(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    form = BatchApproveForm(request.POST)
    expected: Decimal | None = form.cleaned_data["expected_total"] if form.is_valid() else None
    try:
        payout_batch_approve(batch_id=batch.id, approved_by=request.user, expected_total=expected)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Batch {batch.id} approved.")
    return redirect("portal:finance-batch", batch_id=batch.id)


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
