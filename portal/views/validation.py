"""Monthly validation in pages, for advertisers (their own conversions) and managers (all):
upload a CSV, see the preview of what would change, apply it, read and download the result.

The preview answers the upload's POST (it changes nothing, so there is nothing to redirect
from) and carries the file's text to the apply form; applying redirects to the result page, so
reloading it applies nothing twice. The service (tracking/validation.py) decides every row."""

import csv

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.csv_cells import csv_cell
from core.errors import DomainError
from portal.form_errors import form_errors_add
from portal.roles import ADVERTISER, MANAGER, role_required
from portal.validation_forms import ValidationApplyForm, ValidationUploadForm
from tracking.validation import (
    validation_apply,
    validation_parse,
    validation_preview,
    validation_result_columns,
    validation_uploads_visible_to,
)

MAX_BYTES = 2 * 1024 * 1024


def _page(request: HttpRequest, form: ValidationUploadForm) -> HttpResponse:
    uploads = validation_uploads_visible_to(user=request.user).select_related("uploaded_by")[:20]
    return render(request, "portal/validation/upload.html", {"form": form, "uploads": uploads})


@role_required(ADVERTISER, MANAGER)
def upload(request: HttpRequest) -> HttpResponse:
    form = ValidationUploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _page(request, form)
    file = form.cleaned_data["file"]
    if file.size > MAX_BYTES:
        form.add_error("file", f"At most {MAX_BYTES // 1024 // 1024} MB; split the file.")
        return _page(request, form)
    try:
        text = file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.add_error("file", "The file is not UTF-8 text (save it as CSV UTF-8).")
        return _page(request, form)
    try:
        report = validation_preview(user=request.user, rows=validation_parse(text=text))
    except DomainError as exc:
        form_errors_add(form=form, error=exc)
        return _page(request, form)
    apply_form = ValidationApplyForm(initial={"csv": text, "filename": file.name})
    return render(
        request,
        "portal/validation/preview.html",
        {
            "report": report,
            "apply_form": apply_form,
            "filename": file.name,
            "show_payout": request.user.is_manager,
            "to_apply": report.counts.get("change", 0),
        },
    )


@role_required(ADVERTISER, MANAGER)
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    form = ValidationApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The file was lost on the way; upload it again.")
        return redirect("portal:validation")
    try:
        rows = validation_parse(text=form.cleaned_data["csv"])
        done = validation_apply(
            user=request.user, rows=rows, filename=form.cleaned_data["filename"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:validation")
    counts = done.summary.get("counts", {})
    messages.success(
        request,
        f"Validation applied: {counts.get('done', 0)} changed, {counts.get('refused', 0)} refused.",
    )
    return redirect("portal:validation-result", upload_id=done.pk)


def _upload(request: HttpRequest, upload_id: int):
    found = validation_uploads_visible_to(user=request.user).filter(pk=upload_id).first()
    if found is None:
        raise Http404("No such validation.")
    return found


@role_required(ADVERTISER, MANAGER)
def result(request: HttpRequest, upload_id: int) -> HttpResponse:
    done = _upload(request, upload_id)
    return render(
        request,
        "portal/validation/result.html",
        {
            "upload": done,
            "rows": done.rows,
            "counts": done.summary.get("counts", {}),
            "money": done.summary.get("money", {}),
            "show_payout": request.user.is_manager,
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@role_required(ADVERTISER, MANAGER)
def result_csv(request: HttpRequest, upload_id: int) -> HttpResponse:
    done = _upload(request, upload_id)
    columns = validation_result_columns(user=request.user)
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow([title for _, title in columns])
        for row in done.rows:
            yield writer.writerow([csv_cell(row.get(key)) for key, _ in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="validation-{done.pk}-result.csv"'
    return response
