"""The publisher's tax forms, under its payouts: its own forms with finance's decision (and why),
the upload of a new one, and each document back. The upload is the API's service
(payouts.services.payees.tax_form_upload: the money policy, the kind, the date, the file's real
type and size); finance reviews at /finance/tax-forms/. Publisher users only; another
publisher's form is a 404, as in the API."""

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from core.errors import DomainError
from core.network_time import network_today
from payouts.selectors import tax_form_hold_of, tax_forms_visible_to
from payouts.services.payees import tax_form_upload
from portal.form_errors import form_errors_add
from portal.roles import PUBLISHER, role_required
from portal.tax_form_forms import TaxFormUploadForm
from portal.views.books import tax_form_file


@role_required(PUBLISHER)
def tax_forms(request: HttpRequest) -> HttpResponse:
    """The publisher's forms, newest first, and the upload form (POST, then back here)."""
    user = request.user
    form = TaxFormUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            uploaded = tax_form_upload(
                publisher_id=user.publisher_id,
                kind=form.cleaned_data["kind"],
                signed_on=form.cleaned_data["signed_on"],
                document=form.cleaned_data["document"],
                uploaded_by=user,
            )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            messages.success(
                request,
                f"{uploaded.get_kind_display()} uploaded: our finance team reviews it next.",
            )
            return redirect("portal:publisher-tax-forms")
    return render(
        request,
        "portal/publisher/tax_forms.html",
        {
            "forms": tax_forms_visible_to(user=user).order_by("-id"),
            "form": form,
            "today": network_today(now=timezone.now()),
            "tax_form_hold": tax_form_hold_of(publisher_id=user.publisher_id),
        },
    )


@role_required(PUBLISHER)
def tax_form_document(request: HttpRequest, form_id: int) -> FileResponse:
    return tax_form_file(user=request.user, form_id=form_id)
