"""The manager's conversions desk: search and filters, CSV of the filtered list, the detail with
its explanation in words, and approve / reject / reverse / adjust, one or in bulk.

Every decision goes through `tracking.attribution.actions.conversion_act`, which asks the money
policy against the locked row: the page offers what a manager may do, the service decides.
Rejecting and reversing cannot be undone, so both need a reason and a ticked confirmation.
"""

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.csv_cells import csv_cell
from core.errors import DomainError
from portal.form_errors import form_errors_add
from portal.manager_forms import ConversionBulkForm, ConversionDecideForm, ConversionFilterForm
from portal.manager_selectors import conversions_search
from portal.roles import MANAGER, role_required
from portal.selectors import conversions_visible_to
from portal.templatetags.portal_money import money
from tracking.attribution.actions import ALLOWED_FROM, conversion_act
from tracking.explanation_words import explanation_in_words, reason_in_words

PAGE_SIZE = 50
DONE = {"approve": "approved", "reject": "rejected", "reverse": "reversed", "adjust": "adjusted"}
CSV_COLUMNS = (
    ("id", "Conversion"),
    ("created_at", "Time (UTC)"),
    ("status", "Status"),
    ("reject_reason", "Reason"),
    ("offer__name", "Offer"),
    ("goal__name", "Goal"),
    ("publisher__name", "Publisher"),
    ("advertiser__name", "Advertiser"),
    ("advertiser_txn_id", "Transaction id"),
    ("click_id", "Click id"),
    ("sub1", "Sub 1"),
    ("sub2", "Sub 2"),
    ("sub3", "Sub 3"),
    ("sub4", "Sub 4"),
    ("sub5", "Sub 5"),
    ("source", "Source"),
    ("currency", "Currency"),
    ("sale_amount", "Sale amount"),
    ("revenue", "Revenue"),
    ("payout", "Payout"),
)
MONEY_COLUMNS = ("sale_amount", "revenue", "payout")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _filters(request: HttpRequest) -> tuple[ConversionFilterForm, dict]:
    form = ConversionFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data
    return form, {}


def _query(request: HttpRequest) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k not in ("page", "format")])


@role_required(MANAGER)
def conversions(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    rows = conversions_search(user=request.user, filters=filters)
    if request.GET.get("format") == "csv" and not form.errors:
        return _csv(rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = _query(request)
    bulk = ConversionBulkForm(
        ids=[], initial={"next": reverse("portal:manager-conversions") + f"?{query}"}
    )
    return render(
        request,
        "portal/manager/conversions.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "csv_url": reverse("portal:manager-conversions")
            + "?"
            + urlencode(
                [*[(k, v) for k, v in request.GET.items() if k != "page"], ("format", "csv")]
            ),
            "bulk": bulk,
        },
    )


def _csv(rows) -> StreamingHttpResponse:
    """The whole filtered list (not one page), streamed; cells a spreadsheet would run as a
    formula are escaped (sub ids come from visitors)."""
    writer = csv.writer(_Echo())
    names = [name for name, _ in CSV_COLUMNS]

    def lines():
        yield writer.writerow([label for _, label in CSV_COLUMNS])
        for row in rows.values_list(*names).iterator(chunk_size=2000):
            values = dict(zip(names, row, strict=True))
            for name in MONEY_COLUMNS:  # in the currency's minor unit, as on the page
                values[name] = money(values[name], values["currency"])
            values["created_at"] = values["created_at"].isoformat()
            yield writer.writerow([csv_cell(value) for value in values.values()])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="conversions.csv"'
    return response


def _next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("portal:manager-conversions")


@role_required(MANAGER)
@require_POST
def conversions_bulk(request: HttpRequest) -> HttpResponse:
    """Each chosen conversion is decided on its own (its own lock, policy check and ledger
    entries); one refusal does not undo the others, and the page says which were refused."""
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    visible = list(
        conversions_visible_to(user=request.user).filter(id__in=ids).values_list("id", flat=True)
    )
    form = ConversionBulkForm(request.POST, ids=visible)
    back = _next(request, request.POST.get("next", ""))
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(
                    request, f"{label or field}: {error}" if field != "__all__" else error
                )
        if not ids:
            messages.error(request, "Tick the conversions to act on.")
        return redirect(back)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    done, refused = [], []
    for conversion_id in form.cleaned_data["ids"]:
        try:
            conversion_act(
                conversion_id=conversion_id, action=action, actor=request.user, reason=reason
            )
        except DomainError as exc:
            refused.append(f"{conversion_id}: {exc.message}")
        else:
            done.append(conversion_id)
    if done:
        messages.success(request, f"{len(done)} conversion(s) {DONE[action]}.")
    for line in refused:
        messages.error(request, f"Conversion {line}")
    return redirect(back)


@role_required(MANAGER)
def conversion_detail(request: HttpRequest, conversion_id: int) -> HttpResponse:
    conversion = (
        conversions_visible_to(user=request.user)
        .select_related("advertiser", "inbox")
        .filter(id=conversion_id)
        .first()
    )
    if conversion is None:
        raise Http404("No such conversion.")
    form = ConversionDecideForm(request.POST or None)
    allowed = [a for a, statuses in ALLOWED_FROM.items() if conversion.status in statuses]
    form.fields["action"].choices = [c for c in form.fields["action"].choices if c[0] in allowed]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conversion_act(
                conversion_id=conversion.pk,
                action=data["action"],
                actor=request.user,
                reason=data["reason"],
                payout=data["payout"],
                revenue=data["revenue"],
                override_caps=data["override_caps"],
            )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            messages.success(request, f"Conversion {conversion.pk} {DONE[data['action']]}.")
            return redirect("portal:manager-conversion", conversion_id=conversion.pk)
    return render(
        request,
        "portal/manager/conversion.html",
        {
            "conversion": conversion,
            "reason_words": reason_in_words(conversion.reject_reason),
            "explanation": explanation_in_words(conversion.explanation),
            "history": conversion.history.select_related("actor").order_by("id"),
            "form": form,
            "may_act": bool(allowed),
        },
    )
