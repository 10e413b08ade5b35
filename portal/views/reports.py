"""The reports page: up to three dimensions at once, filters by offer, publisher (staff) and
country, human column names with units, a totals row per currency, a CSV of the same table,
and a chart (inline SVG, no script) of one metric by day.

Every figure comes from `reports.selectors.report_run`, which pins a publisher's and an
advertiser's reports to their own rows exactly as the API does; the query is parsed by
`reports.query.report_query_parse` for the user's role, so a hidden dimension or metric is
refused here as there."""

import csv
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import user_role
from core.csv_cells import csv_cell
from core.errors import DomainError
from core.network_time import network_today
from portal.form_errors import form_errors_add
from portal.manager_forms import preset_range
from portal.report_forms import DIMENSION_LABELS, MultiReportForm, metric_header
from portal.roles import ANYONE, role_required
from reports.query import report_query_parse
from reports.selectors import Report, report_run

# Metrics the page shows per role: the API's defaults are longer than a table can hold.
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
NAMED = ("offer", "publisher", "advertiser", "goal", "creative", "landing_variant")
CHART_WIDTH = 600
CHART_HEIGHT = 200  # the bars' baseline is y = CHART_HEIGHT
CHART_COLOURS = ("#2b6cb0", "#2f855a", "#b7791f", "#9b2c2c")


class _Echo:
    def write(self, value: str) -> str:
        return value


@role_required(*ANYONE)
def reports(request: HttpRequest) -> HttpResponse:
    role = user_role(request.user) or ""
    metrics = REPORT_METRICS.get(role, STAFF_REPORT_METRICS)
    form = MultiReportForm(request.GET or None, user=request.user, role=role, metrics=metrics)
    report = chart_report = None
    params: dict[str, str] = {}
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if form.is_bound else {}
        params = _params(data, metrics=metrics, dimensions=_dimensions(form))
        try:
            report = report_run(
                user=request.user, query=report_query_parse(params=params, role=role)
            )
            chart_metric = data.get("chart") or metrics[0]
            chart_params = {**params, "group_by": "day", "metrics": chart_metric}
            chart_report = report_run(
                user=request.user, query=report_query_parse(params=chart_params, role=role)
            )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
            report = chart_report = None
    if report is None:
        return render(request, "portal/reports.html", {"form": form, "report": None})
    headers, rows, totals = _table(report)
    if request.GET.get("format") == "csv":
        return _csv(headers, rows, totals)
    query = {k: v for k, v in request.GET.items() if k != "format"}
    return render(
        request,
        "portal/reports.html",
        {
            "form": form,
            "report": report,
            "headers": headers,
            "rows": rows,
            "totals": totals,
            "csv_url": reverse("reports") + "?" + urlencode({**params, "format": "csv"}),
            "page_csv_url": reverse("portal:reports") + "?" + urlencode({**query, "format": "csv"}),
            "charts": _charts(chart_report) if chart_report is not None else [],
            "chart_metric": metric_header(chart_report.query.metrics[0]) if chart_report else "",
        },
    )


def _dimensions(form: MultiReportForm) -> tuple[str, ...]:
    return form.dimensions() if form.is_bound else ("day",)


def _params(
    data: dict[str, Any], *, metrics: tuple[str, ...], dimensions: tuple[str, ...]
) -> dict[str, str]:
    """The API's query parameters for the page's choices (the same parser reads both)."""
    first, last = preset_range(data.get("preset") or "", today=network_today(now=timezone.now()))
    date_to: date = last or data.get("date_to") or network_today(now=timezone.now())
    date_from: date | None = first or data.get("date_from")
    params = {
        "group_by": ",".join(dimensions),
        "metrics": ",".join(metrics),
        "basis": data.get("basis") or "conversion",
        "date_to": date_to.isoformat(),
        "date_from": (date_from or date_to - timedelta(days=6)).isoformat(),
    }
    if data.get("offer") is not None:
        params["offer"] = str(data["offer"].pk)
    if data.get("publisher") is not None:
        params["publisher"] = str(data["publisher"].pk)
    if data.get("country"):
        params["country"] = data["country"]
    return params


def _table(report: Report) -> tuple[list[str], list[list[Any]], list[list[Any]]]:
    """Human headers, the rows (names, never bare ids) and a totals row per currency."""
    dims = report.query.group_by
    metrics = report.query.metrics
    headers = [DIMENSION_LABELS.get(d, d) for d in dims]
    headers += ["Currency", *(metric_header(m) for m in metrics)]
    rows = []
    for row in report.rows:
        cells: list[Any] = [_dimension_value(row, d) for d in dims]
        cells += [row["currency"], *(row.get(m) for m in metrics)]
        rows.append(cells)
    totals = []
    for total in report.totals:
        cells = ["Total", *([""] * (len(dims) - 1)), total["currency"]]
        totals.append([*cells, *(total.get(m) for m in metrics)])
    return headers, rows, totals


def _dimension_value(row: dict[str, Any], name: str) -> Any:
    value = row.get(name)
    if name in NAMED:
        if value is None:
            return "" if name in ("offer", "publisher", "advertiser") else "(none)"
        return row.get(f"{name}_name") or f"#{value}"
    if value in (None, ""):
        return "(empty)"
    if isinstance(value, date):
        return value.isoformat()  # 2026-01-10: sorts and reads the same in the CSV
    return value


def _csv(headers: list[str], rows: list[list[Any]], totals: list[list[Any]]) -> HttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(headers)
        for cells in [*rows, *totals]:
            yield writer.writerow(["" if c is None else csv_cell(c) for c in cells])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="report.csv"'
    return response


def _charts(report: Report) -> list[dict[str, Any]]:
    """One bar chart per currency of the chosen metric, a bar for every day of the range (zero
    where there was no row), scaled to the busiest day."""
    metric = report.query.metrics[0]
    first, last = report.query.date_from, report.query.date_to
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    by_currency: dict[str, dict[date, Decimal]] = {}
    for row in report.rows:
        value = row.get(metric)
        by_currency.setdefault(row["currency"], {})[row["day"]] = Decimal(value or 0)
    charts = []
    step = CHART_WIDTH / max(len(days), 1)
    width = max(step * 0.8, 1)
    for n, (currency, values) in enumerate(sorted(by_currency.items())):
        top = max((abs(v) for v in values.values()), default=Decimal(0)) or Decimal(1)
        bars = []
        for i, day in enumerate(days):
            value = values.get(day, Decimal(0))
            height = float(abs(value) / top) * (CHART_HEIGHT - 10)
            bars.append(
                {
                    "day": day,
                    "value": value,
                    "x": round(i * step, 1),
                    "y": round(CHART_HEIGHT - height, 1),
                    "height": round(height, 1),
                }
            )
        charts.append(
            {
                "currency": currency,
                "bars": bars,
                "bar_width": round(width, 1),
                "colour": CHART_COLOURS[n % len(CHART_COLOURS)],
                "top": top,
                "total": sum(values.values(), Decimal(0)),
            }
        )
    return charts
