"""Access requests to offers, decided by managers one by one or in bulk (POST-redirect-GET).

Deciding goes through `offers.services.offer_access_decide`, as the API's approve/reject do;
a decision can be changed later (approving a rejected request, revoking an approval).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from affiliates.models import OfferAccess
from affiliates.selectors import offer_accesses_visible_to
from offers.services import offer_access_decide
from portal.manager_forms import AccessBulkForm, AccessFilterForm
from portal.manager_selectors import accesses_for_desk
from portal.roles import MANAGER, role_required

PAGE_SIZE = 50


@role_required(MANAGER)
def access_requests(request: HttpRequest) -> HttpResponse:
    data = request.GET if request.GET else {"status": OfferAccess.Status.REQUESTED}
    form = AccessFilterForm(data)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = accesses_for_desk(user=request.user, filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode([(k, v) for k, v in data.items() if k != "page"])
    return render(
        request,
        "portal/manager/access_requests.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "next": reverse("portal:manager-access") + f"?{query}",
        },
    )


@role_required(MANAGER)
@require_POST
def access_requests_decide(request: HttpRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    rows = {
        access.pk: access
        for access in offer_accesses_visible_to(user=request.user)
        .filter(id__in=ids)
        .select_related("offer", "publisher")
    }
    form = AccessBulkForm(request.POST, ids=list(rows))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("portal:manager-access")
    if not form.is_valid():
        if "ids" in form.errors:
            messages.error(request, "Tick the requests to decide.")
        if "decision" in form.errors:
            messages.error(request, "Choose approve or reject.")
        return redirect(back)
    decision = form.cleaned_data["decision"]
    with transaction.atomic():
        for access_id in form.cleaned_data["ids"]:
            offer_access_decide(access=rows[access_id], status=decision, decided_by=request.user)
    count = len(form.cleaned_data["ids"])
    messages.success(request, f"{count} request(s) {decision}.")
    return redirect(back)
