"""Personal data pages: a partner user downloads its export and asks for deletion; finance
and managers list the requests and carry them out (accounts/personal_data.py)."""

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.personal_data import (
    personal_data_erase,
    personal_data_erasure_request,
    personal_data_export,
    personal_data_requests_visible_to,
)
from core.errors import DomainError
from portal.roles import ADVERTISER, ANYONE, PUBLISHER, STAFF, role_required


@role_required(*ANYONE)
def personal_data(request: HttpRequest) -> HttpResponse:
    rows = personal_data_requests_visible_to(user=request.user)
    return render(
        request,
        "portal/personal_data/page.html",
        {"rows": rows[:200], "staff": request.user.role in STAFF or request.user.is_superuser},
    )


@role_required(*ANYONE)
def personal_data_download(request: HttpRequest) -> HttpResponse:
    data = personal_data_export(user=request.user)
    response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
    return response


@role_required(PUBLISHER, ADVERTISER)
@require_POST
def personal_data_request(request: HttpRequest) -> HttpResponse:
    try:
        personal_data_erasure_request(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your request for deletion was sent to the network.")
    return redirect("portal:personal-data")


@role_required(*STAFF)
@require_POST
def personal_data_erase_page(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        personal_data_erase(user=request.user, request_id=request_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Personal data deleted; the ledger keeps its amounts.")
    return redirect("portal:personal-data")
