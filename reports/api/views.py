"""GET /api/v1/reports/: JSON, or CSV of the same with ?format=csv."""

import copy
import csv
import functools
import io
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.csv_cells import csv_cell
from core.errors import DomainError
from core.money import known_currencies
from reports.metrics import HIDDEN_FROM, METRICS
from reports.query import (
    BASES,
    COLUMNS,
    DIMENSIONS,
    HIDDEN_DIMENSIONS,
    ID_DIMENSIONS,
    MAX_LIMIT,
    report_query_parse,
    time_zone_names,
)
from reports.selectors import Report, report_run


class ReportCSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        out = io.StringIO()
        writer = csv.writer(out)
        columns = data["columns"]
        writer.writerow(columns)
        for row in data["rows"]:
            writer.writerow([csv_cell(row.get(c)) for c in columns])
        for total in data["totals"]:
            cells = [csv_cell(total.get(c)) for c in columns]
            cells[0] = "Total" if columns[0] != "currency" else cells[0]
            writer.writerow(cells)
        return out.getvalue().encode(self.charset)


# What each role may name (reports.query refuses the rest): the schema served to a role lists
# exactly these, and the API refuses what its schema refuses (`_as_the_schema_says`).
ROLES = ("manager", "finance", "advertiser", "publisher")


def _any_of(names: tuple[str, ...]) -> str:
    return "(?:" + "|".join(re.escape(name) for name in names) + ")"


def _comma_list(names: tuple[str, ...], *, not_together: tuple[str, str] | None = None) -> str:
    """A comma-separated list of `names` (an empty item skipped, "" for the default), optionally
    never naming both of `not_together` (group by day or by hour)."""
    item = f"{_any_of(names)}?"
    refused = ""
    if not_together:
        # Whole items only: what precedes a name is whole items and their commas.
        for first, second in (not_together, not_together[::-1]):
            refused += f"(?!(?:[^,]*,)*{first},(?:[^,]*,)*{second}(?:,|$))"
    return f"^{refused}{item}(?:,{item})*$"


def role_dimensions(role: str) -> tuple[str, ...]:
    return tuple(name for name in DIMENSIONS if name not in HIDDEN_DIMENSIONS.get(role, ()))


def role_metrics(role: str) -> tuple[str, ...]:
    return tuple(name for name in METRICS if name not in HIDDEN_FROM.get(role, ()))


# Ids, comma-separated (an empty one skipped); 18 digits are always within the bigint column.
IDS = {"type": "string", "pattern": "^[0-9]{0,18}(,[0-9]{0,18})*$"}
# basis: "" is the default, conversion.
BASES_ENUM = {"type": "string", "enum": ["", *BASES]}
# A filter the role may not use: only empty (no filter) is valid for it.
NOT_YOURS = {"type": "string", "enum": [""]}
TIME_ZONES = {"type": "string", "enum": ["", *sorted(time_zone_names())]}
CURRENCIES = {"type": "string", "enum": ["", *sorted(known_currencies())]}
FORMATS = {"type": "string", "enum": ["", "json", "csv"]}
TIMES = ("day", "hour")  # group by one or the other


@functools.cache  # per role, not per request: read by every report request (the 50 ms target)
def report_parameter_schemas(role: str) -> dict[str, dict[str, Any]]:
    """The string parameters' schemas for `role` (the manager's are the widest: the default).
    Shared between callers: read it, never change it."""
    dimensions, metrics = role_dimensions(role), role_metrics(role)
    hidden = HIDDEN_DIMENSIONS.get(role, frozenset())
    # Descending with one '-'; that it names a dimension or metric of this report is a rule
    # between parameters, which reports.query checks.
    sortable = f"-?{_any_of(dimensions + metrics)}"
    schemas: dict[str, dict[str, Any]] = {
        "group_by": {"type": "string", "pattern": _comma_list(dimensions, not_together=TIMES)},
        "metrics": {"type": "string", "pattern": _comma_list(metrics)},
        "sort": {"type": "string", "pattern": f"^(?:{sortable})?(?:,(?:{sortable})?)*$"},
        "tz": TIME_ZONES,
        "basis": BASES_ENUM,
        "format": FORMATS,
        "currency": CURRENCIES,
    }
    for name in COLUMNS:
        if name in hidden:
            schemas[name] = NOT_YOURS
        elif name in ID_DIMENSIONS:
            schemas[name] = IDS
    return schemas


def _parameter(name: str, description: str) -> OpenApiParameter:
    """A string parameter: the manager's schema (a free string where it has none), and each
    other role's where it differs (`x-schema-for-roles`, put in place in the schema served to
    that role by config/schema.py)."""
    # Copies: the schema's hooks may add to what they are given; the cached ones stay as built.
    schemas = {role: copy.deepcopy(report_parameter_schemas(role).get(name)) for role in ROLES}
    widest = schemas["manager"]
    others = {role: schema for role, schema in schemas.items() if schema not in (None, widest)}
    return OpenApiParameter(
        name,
        widest or OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description=description,
        extensions={"x-schema-for-roles": others} if others else None,
    )


# The schema mirrors reports/README.md; report_query_parse is what enforces it.
REPORT_PARAMETERS = [
    _parameter(
        "group_by",
        "Dimensions, comma-separated: day or hour, " + ", ".join(COLUMNS) + " (those the role "
        "may read)",
    ),
    _parameter("metrics", "Metrics, comma-separated; default: every metric the role may see"),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="Local date, inclusive"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Local date, inclusive"),
    _parameter("tz", "IANA time zone for day and hour (default: the network's, NETWORK_TIME_ZONE)"),
    _parameter("basis", "conversion (default) or click: when it is counted"),
    _parameter(
        "sort",
        "Dimensions or metrics of this report ('-' before one for descending), comma-separated",
    ),
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        description=f"Rows, 1..{MAX_LIMIT} (default 1000)",
    ),
    _parameter("format", "csv for the same report as CSV"),
    _parameter(
        "currency",
        "ISO 4217 code: money converted day by day at the stored FX rates; rows of a day "
        "without a rate stay in their currency with fx_rate_missing true",
    ),
    *(
        _parameter(name, f"Filter: {name} ids, comma-separated")
        if name in ID_DIMENSIONS
        else _parameter(name, f"Filter: {name} values, comma-separated")
        for name in COLUMNS
    ),
]

REPORT_RESPONSE = inline_serializer(
    "Report",
    fields={
        "query": serializers.DictField(),
        "columns": serializers.ListField(child=serializers.CharField()),
        "rows": serializers.ListField(child=serializers.DictField()),
        "totals": serializers.ListField(child=serializers.DictField()),
        "total_rows": serializers.IntegerField(),
    },
)


# Typed by the schema (a date, a whole number), so "" is none of them: refused here, where the
# portal's report form (which sends its empty fields) reads them as the defaults.
TYPED_PARAMETERS = {"date_from": "A date, YYYY-MM-DD.", "date_to": "A date, YYYY-MM-DD."}
TYPED_PARAMETERS["limit"] = f"limit is a whole number from 1 to {MAX_LIMIT}."


def _typed_values_not_empty(params: Any) -> None:
    empty = {
        name: [message]
        for name, message in TYPED_PARAMETERS.items()
        if name in params and not params.get(name, "").strip()
    }
    if empty:
        names = ", ".join(sorted(empty))
        raise DomainError("invalid", f"Invalid report query in: {names}.", fields=empty)


def _as_the_schema_says(params: Any, role: str) -> None:
    """400 naming each parameter whose value the schema served to `role` refuses, where
    reports.query (which the portal's form shares) reads it anyway: blanks around names, a
    lower-case currency, a sort with two '-'."""
    refused: dict[str, list[str]] = {}
    for name, schema in report_parameter_schemas(role).items():
        for value in params.getlist(name):
            listed = value in schema["enum"] if "enum" in schema else True
            matches = re.search(schema["pattern"], value) if "pattern" in schema else True
            if not (listed and matches):
                refused[name] = ["Not a value the schema allows here (see its enum or pattern)."]
    if refused:
        names = ", ".join(sorted(refused))
        raise DomainError("invalid", f"Invalid report query in: {names}.", fields=refused)


class ReportView(APIView):
    """Counters from the rollups, grouped and filtered; see reports/README.md for parameters."""

    renderer_classes = [JSONRenderer, ReportCSVRenderer]
    pagination_class = None

    @extend_schema(parameters=REPORT_PARAMETERS, responses={200: REPORT_RESPONSE})
    def get(self, request: Request) -> Response:
        _typed_values_not_empty(request.query_params)
        query = report_query_parse(params=request.query_params, role=request.user.role)
        _as_the_schema_says(request.query_params, request.user.role)
        report = report_run(user=request.user, query=query)
        response = Response(_body(report))
        if request.query_params.get("format") == "csv":
            response["Content-Disposition"] = 'attachment; filename="report.csv"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Errors keep the one JSON error shape even when CSV was asked for.
        if response.status_code >= 400 and isinstance(
            getattr(response, "accepted_renderer", None), ReportCSVRenderer
        ):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = "application/json"
            response["Content-Type"] = "application/json"
        return response


def _body(report: Report) -> dict[str, Any]:
    query = report.query
    return {
        "query": {
            "group_by": list(query.group_by),
            "metrics": list(query.metrics),
            "date_from": query.date_from.isoformat(),
            "date_to": query.date_to.isoformat(),
            "tz": query.tz.key,
            "basis": query.basis,
            "filters": {name: list(values) for name, values in query.filters.items()},
        },
        "columns": list(report.columns),
        "rows": [_plain(row) for row in report.rows],
        "totals": [_plain(row) for row in report.totals],
        "total_rows": report.total_rows,
    }


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {name: _value(value) for name, value in row.items()}


def _value(value: Any) -> Any:
    # Decimals as strings: JSON numbers would turn money into floats.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
