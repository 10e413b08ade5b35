"""Pages for several roles: sign-in landing, the managers' network dashboard, and reports."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import user_role
from core.errors import DomainError
from portal.form_errors import form_errors_add
from portal.forms import ReportForm
from portal.roles import ANYONE, MANAGER, role_home, role_required
from portal.selectors import daily_chart, top_rows
from reports.query import report_query_parse
from reports.selectors import report_run


def landing(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("portal:login")
    return redirect(role_home(user_role(request.user)))


@role_required(MANAGER)
def network_dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "portal/manager/dashboard.html",
        {
            "top_offers": top_rows(user=user, dimension="offer", metric="revenue"),
            "top_publishers": top_rows(user=user, dimension="publisher", metric="payout"),
            "chart": daily_chart(user=user, metrics=("revenue", "payout")),
        },
    )


# Metrics the report page shows per role: the API's defaults are longer than a table can hold.
REPORT_METRICS = {
    "publisher": ("clicks", "unique_clicks", "conversions", "cr", "epc", "payout"),
    "advertiser": (
        "clicks",
        "conversions",
        "approved",
        "pending",
        "cr",
        "revenue",
        "sale_amount",
        "roas",
    ),
}
STAFF_REPORT_METRICS = (
    "clicks",
    "conversions",
    "cr",
    "revenue",
    "payout",
    "profit",
    "margin",
    "sale_amount",
    "roas",
)


@role_required(*ANYONE)
def reports(request: HttpRequest) -> HttpResponse:
    role = user_role(request.user) or ""
    metrics = REPORT_METRICS.get(role, STAFF_REPORT_METRICS)
    form = ReportForm(request.GET or None, role=role)
    report = None
    csv_url = None
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if form.is_bound else {}
        params = {
            "group_by": data.get("group_by") or "day",
            "metrics": ",".join(metrics),
            "basis": data.get("basis") or "conversion",
        }
        today = timezone.now().date()
        params["date_to"] = (data.get("date_to") or today).isoformat()
        if data.get("date_from"):
            params["date_from"] = data["date_from"].isoformat()
        try:
            query = report_query_parse(params=params, role=role)
            report = report_run(user=request.user, query=query)
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            csv_url = reverse("reports") + "?" + urlencode({**params, "format": "csv"})
    rows, totals = [], []
    if report is not None:
        columns = report.columns
        rows = [[row.get(column) for column in columns] for row in report.rows]
        for total in report.totals:
            cells = [total.get(column) for column in columns]
            if columns[0] != "currency":
                cells[0] = "Total"
            totals.append(cells)
    return render(
        request,
        "portal/reports.html",
        {"form": form, "report": report, "csv_url": csv_url, "rows": rows, "totals": totals},
    )
