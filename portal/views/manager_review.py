"""The review queue page: conversions a fraud rule held, each with its evidence (the signals in
words, the click, sibling conversions from the same address or device), decided in bulk with a
reason through `tracking.review.review_decide`, the service POST /api/v1/review-queue/decide/
calls: all or none, each through conversion_act and so the money policy."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.errors import DomainError
from portal.fraud_words import signals_in_words
from portal.manager_forms import ReviewDecideForm, ReviewFilterForm
from portal.roles import MANAGER, role_required
from tracking.review import review_decide, review_evidence, review_queue

PAGE_SIZE = 25  # each row reads its click and siblings
DONE = {"approve": "approved", "reject": "rejected"}


@role_required(MANAGER)
def review_queue_page(request: HttpRequest) -> HttpResponse:
    form = ReviewFilterForm(request.GET or None)
    rows = review_queue().select_related("offer", "goal", "publisher")
    if form.is_bound and form.is_valid():
        if form.cleaned_data["offer"]:
            rows = rows.filter(offer=form.cleaned_data["offer"])
        if form.cleaned_data["publisher"]:
            rows = rows.filter(publisher=form.cleaned_data["publisher"])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page"])
    items = [
        {
            "conversion": conversion,
            "signals": signals_in_words(conversion.fraud),
            "evidence": review_evidence(conversion=conversion),
        }
        for conversion in page
    ]
    here = reverse("portal:manager-review") + (f"?{query}" if query else "")
    decide = ReviewDecideForm(ids=[], initial={"next": here})
    return render(
        request,
        "portal/manager/review_queue.html",
        {"form": form, "page": page, "items": items, "query": query, "decide": decide},
    )


@role_required(MANAGER)
@require_POST
def review_queue_decide(request: HttpRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    held = list(review_queue().filter(id__in=ids).values_list("id", flat=True))
    form = ReviewDecideForm(request.POST, ids=held)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("portal:manager-review")
    if not ids:
        messages.error(request, "Tick the conversions to decide.")
        return redirect(back)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                if field == "ids":
                    error = "Some ticked conversions are no longer held for review."
                messages.error(request, f"{label or field.capitalize()}: {error}")
        return redirect(back)
    data = form.cleaned_data
    try:
        decided = review_decide(
            ids=data["ids"], decision=data["decision"], reason=data["reason"], actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, f"{len(decided)} conversion(s) {DONE[data['decision']]}.")
    return redirect(back)
