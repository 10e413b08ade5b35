"""The audit log as pages (accounts.audit): managers read all of it, finance the money rows,
an advertiser its own offers' entries without payout fields, a publisher its own; the
selector decides, the page only filters and shows. `?format=csv` downloads the filtered log."""

import csv
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date

from accounts.audit.registry import audited_labels
from accounts.audit.selectors import ACTIONS, audit_entries_visible_to, audit_entry_for
from core.csv_cells import csv_cell
from portal.roles import ANYONE, role_required

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> dict[str, Any]:
    found: dict[str, Any] = {}
    model = request.GET.get("model", "").lower()
    if model in audited_labels():
        found["model"] = model
    action = request.GET.get("action", "")
    if action in ACTIONS:
        found["action"] = action
    if request.GET.get("object_id", "").strip():
        found["object_id"] = request.GET["object_id"].strip()[:64]
    return found


class _Echo:
    def write(self, value: str) -> str:
        return value


@role_required(*ANYONE)
def audit_log(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    entries = audit_entries_visible_to(user=request.user, **filters)
    since, until = (
        parse_date(request.GET.get("since", "")),
        parse_date(request.GET.get("until", "")),
    )
    if since:
        entries = entries.filter(timestamp__date__gte=since)
    if until:
        entries = entries.filter(timestamp__date__lte=until)
    if request.GET.get("format") == "csv":
        writer = csv.writer(_Echo())

        def lines():
            yield writer.writerow(["Time (UTC)", "Action", "Model", "Object", "Who", "Changes"])
            for entry in entries.iterator():
                row = audit_entry_for(user=request.user, entry=entry)
                who = (row["actor"] or {}).get("username") or (row["actor"] or {}).get("role")
                changes = "; ".join(f"{k}: {v[0]} -> {v[1]}" for k, v in row["changes"].items())
                yield writer.writerow(
                    [
                        csv_cell(x)
                        for x in (
                            row["timestamp"],
                            row["action"],
                            row["model"],
                            row["object_repr"],
                            who or "",
                            changes,
                        )
                    ]
                )

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        return response
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [audit_entry_for(user=request.user, entry=entry) for entry in page]
    return render(
        request,
        "portal/audit/log.html",
        {
            "page": page,
            "rows": rows,
            "models": sorted(audited_labels()),
            "actions": sorted(ACTIONS),
            "filters": filters,
            "since": since,
            "until": until,
        },
    )
