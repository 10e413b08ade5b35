"""API plumbing shared by every app's endpoints, and the one place malformed input is refused.

Malformed input answers a documented 4xx with the error body (core/errors.py), never a 500:
- `ApiInputGuardMiddleware`: under /api/, a body larger than API_MAX_BODY_BYTES is a 413, and
  NUL or a lone surrogate in the path or any query parameter a 400 `invalid_characters` naming
  the parameter (PostgreSQL refuses NUL in text; a surrogate cannot be encoded at all); Django's
  HTML error pages (a URL no route matches) become the JSON error body.
- `core.parsers.JSONParser`: the same characters anywhere in a JSON body (keys too), nesting
  deeper than API_MAX_JSON_DEPTH, or a body over the limit without a Content-Length.
- `FilterBackend`: number filters on integer columns (ids, foreign keys) are bounded to the
  column's range, and date filters to dates that survive a time zone conversion, so a huge id
  or the year 9999 in a filter is a 400 naming it instead of a database error. The schema
  says so (`BoundedFilterSchema`): each such filter carries its column's minimum and maximum, so
  a client (or `make fuzz`) knows 2**63 is refused before sending it.
"""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_filters import filters as django_filters
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination

from core.errors import error_body
from core.money import known_currencies
from core.parsers import NUL, BodyTooLarge, bad_characters, body_too_large_message


class StrictPageSize:
    """A paginator's `?page_size=` read as the schema types it: a whole number of 1 or more."""

    page_size_query_param = "page_size"
    max_page_size: int

    def get_page_size(self, request) -> int:
        # DRF falls back to the default on a malformed size; we name it (found by `make fuzz`:
        # page_size=0 here, page_size=null on the clicks' cursor pages).
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) > 0):
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return super().get_page_size(request)  # type: ignore[misc]

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        # What get_page_size refuses (0, negatives) is documented, so a client knows it is a 400;
        # a size above max_page_size is capped, not refused, so no maximum is declared.
        parameters = super().get_schema_operation_parameters(view)  # type: ignore[misc]
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = f"Results per page (at most {self.max_page_size})."
        return parameters


class Pagination(StrictPageSize, PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def invalid_characters(fields: dict[str, list[str]]) -> dict[str, Any]:
    return error_body(
        "invalid_characters",
        "Invalid characters in: " + ", ".join(sorted(fields)) + ".",
        fields,
    )


class ApiInputGuardMiddleware:
    """Refuses oversized bodies and unstorable characters in the URL before any view runs."""

    prefix = "/api/"

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(self.prefix):
            return self.get_response(request)
        refused = self.refuse(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        if response.status_code >= 400 and response.get("Content-Type", "").startswith("text/html"):
            # Django's own pages (a URL no route matches, e.g. a non-numeric line id): the API
            # answers every error in its one JSON shape, as the schema documents.
            code = {404: "not_found", 405: "method_not_allowed"}.get(response.status_code, "error")
            message = response.reason_phrase or "Error."
            return JsonResponse(error_body(code, f"{message}."), status=response.status_code)
        return response

    def refuse(self, request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            return JsonResponse(
                error_body(BodyTooLarge.default_code, body_too_large_message()), status=413
            )
        fields: dict[str, list[str]] = {}
        reason = bad_characters(request.path_info)
        if reason:
            fields["path"] = [reason]
        for name, values in request.GET.lists():
            for value in [name, *values]:
                reason = bad_characters(value)
                if reason:
                    fields[name.replace(NUL, "\\x00").encode("utf-8", "replace").decode()] = [
                        reason
                    ]
                    break
        if fields:
            return JsonResponse(invalid_characters(fields), status=400)
        return None


# Python's datetime spans years 1..9999; a bound a day inside them survives any UTC offset.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def validate_in_date_range(value: date | datetime | None) -> None:
    if value is None:
        return
    if isinstance(value, datetime):
        try:
            in_range = EARLIEST <= value.astimezone(UTC) <= LATEST
        except OverflowError:
            in_range = False
    else:
        in_range = EARLIEST.date() <= value <= LATEST.date() - timedelta(days=1)
    if not in_range:
        raise ValidationError("Date out of range (years 1 to 9999).", code="date_out_of_range")


INTEGER_FIELDS = (models.IntegerField, models.AutoField)
DATE_FILTERS = (django_filters.DateFilter, django_filters.DateTimeFilter)


# A filter's value is read as the schema types it, and anything else is a 400 naming it
# (django-filter alone reads `1.5` or `1e3` as an id, `yes` as no filter at all, and a bare date
# or a naive time as a date-time).
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
RFC3339 = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]+))?(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
BOOLEANS = frozenset({"true", "false"})
EXAMPLE_TIME = "2026-01-31T00:00:00Z"
# A date filter reads the schema's `format: date` only (RFC 3339 full-date): Django's DateField
# also read "01/31/2026" and other local spellings, and django-filter an empty value as no filter
# (`make fuzz`: /api/v1/invoices/?period_start= and impression-reports/?day= were accepted).
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date(raw: str) -> bool:
    if ISO_DATE.fullmatch(raw) is None:
        return False
    try:
        date.fromisoformat(raw)
    except ValueError:
        return False
    return True


def is_currency_filter(filter_: Any) -> bool:
    """A filter on a row's ISO 4217 `currency` column (every such column is one)."""
    return (
        isinstance(filter_, django_filters.CharFilter)
        and filter_.field_name == "currency"
        and filter_.lookup_expr == "exact"
    )


# A currency filter takes the codes the network knows (upper case, as rows store them), or ""
# for no filter, as django-filter reads it: the schema lists them (a free string let "usd" or
# "ABCD" through as a filter matching nothing).
CURRENCY_FILTER_SCHEMA: dict[str, Any] = {
    "type": "string",
    "enum": ["", *sorted(known_currencies())],
    "description": "An ISO 4217 currency code (upper case); empty: no filter.",
}


def rfc3339_normalized(raw: str) -> str | None:
    """`raw` as Python parses it (offset spelled out, microseconds), None unless RFC 3339."""
    match = RFC3339.fullmatch(raw)
    if match is None:
        return None
    offset = match["offset"].upper().replace("Z", "+00:00")
    fraction = (match["fraction"] or "0")[:6].ljust(6, "0")
    spelled = f"{match['date']}T{match['time']}.{fraction}{offset}"
    # In UTC: PostgreSQL refuses offsets past 15:59 ("time zone displacement out of range", a 500
    # found by schemathesis), which RFC 3339 and Python allow. What does not parse, or overflows
    # the years, is left as it is for the filter and the range check to refuse.
    try:
        return datetime.fromisoformat(spelled).astimezone(UTC).isoformat()
    except (ValueError, OverflowError):
        return spelled


class FilterBackend(DjangoFilterBackend):
    """django-filter with every integer filter bounded to its column and dates to their range.

    Every filter's raw value must have the schema's type (a whole number for an integer column, an
    RFC 3339 date-time with its offset, a YYYY-MM-DD date, `true` or `false`; an empty value is
    none of them), or the request is a 400 naming it; an empty choice is no filter where its enum
    lists "", as is an empty currency (else one of the ISO 4217 codes the schema lists). A
    filter on a foreign key compares ids (as the explicit `<name>_id` filters do): an id that
    names no row the caller can see matches nothing, as any other filter would.
    """

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        for name, filter_ in list(filterset.filters.items()):
            if type(filter_) is django_filters.ModelChoiceFilter:
                filterset.filters[name] = by_id = django_filters.NumberFilter(
                    field_name=filter_.field_name, lookup_expr=filter_.lookup_expr
                )
                by_id.model, by_id.parent = filter_.model, filterset
        filterset.data = strict_filter_values(filterset, queryset.model)
        for filter_ in filterset.filters.values():
            if isinstance(filter_, DATE_FILTERS):
                filter_.field.validators.append(validate_in_date_range)
            elif isinstance(filter_, django_filters.NumberFilter):
                bounds = integer_range(queryset.model, filter_.field_name)
                if bounds is not None:
                    filter_.field.validators.extend(
                        [MinValueValidator(bounds[0]), MaxValueValidator(bounds[1])]
                    )
        return filterset


def strict_filter_values(filterset, model: type[models.Model]):
    """The filterset's query values, each checked against its filter's type (400 naming the
    first refused), with date-times spelled as Python parses them."""
    data = filterset.data.copy()
    refused: dict[str, list[str]] = {}
    for name, filter_ in filterset.filters.items():
        values = data.getlist(name)
        if not values:
            continue  # an empty value is refused too: the schema types it, and "" is not one
        if isinstance(filter_, django_filters.IsoDateTimeFilter | django_filters.DateTimeFilter):
            normalized = [rfc3339_normalized(value) for value in values]
            if None in normalized:
                refused[name] = [f"An RFC 3339 date-time with its offset, e.g. {EXAMPLE_TIME}."]
            else:
                data.setlist(name, normalized)
        elif isinstance(filter_, django_filters.DateFilter):
            if not all(iso_date(value) for value in values):
                refused[name] = ["A date, YYYY-MM-DD."]
        elif is_currency_filter(filter_):
            if not all(value == "" or value in known_currencies() for value in values):
                refused[name] = ["An ISO 4217 currency code (upper case), or empty for none."]
        elif isinstance(filter_, django_filters.ChoiceFilter) and "" in values:
            # "" is no filter, as django-filter reads it, where the column's choices (so the
            # schema's enum) list it (`make fuzz`: /api/v1/clicks/?fallback_reason= was refused).
            choices = filter_.extra.get("choices") or ()
            if callable(choices) or "" not in (choice for choice, _ in choices):
                refused[name] = ["One of the documented values, not empty."]
        elif isinstance(filter_, django_filters.BooleanFilter):
            if any(value not in BOOLEANS for value in values):
                refused[name] = ["true or false."]
        elif (
            isinstance(filter_, django_filters.NumberFilter)
            and integer_range(model, filter_.field_name) is not None
            and not all(WHOLE_NUMBER.fullmatch(value) for value in values)
        ):
            refused[name] = ["A whole number."]
    if refused:
        raise exceptions.ValidationError(refused)
    return data


def integer_range(model: type[models.Model], field_name: str) -> tuple[int, int] | None:
    field = get_model_field(model, field_name)
    if field is None and field_name.endswith("_id"):
        field = get_model_field(model, field_name[: -len("_id")])
    while field is not None and field.is_relation and field.target_field is not field:
        field = field.target_field
    if not isinstance(field, INTEGER_FIELDS):
        return None
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    return (low if low is not None else -(2**63), high if high is not None else 2**63 - 1)


class BoundedFilterSchema(DjangoFilterExtension):
    """drf-spectacular: `FilterBackend`'s integer filters documented with their column's range,
    and its currency filters with the ISO 4217 codes (and "" for none).

    What `FilterBackend` refuses (a value beyond the column) is then invalid by the schema too.
    """

    target_class = "core.api.FilterBackend"
    match_subclasses = True
    priority = 1  # above drf-spectacular's own extension for every DjangoFilterBackend

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        if is_currency_filter(filter_field):
            for parameter in parameters:
                parameter["schema"] = dict(CURRENCY_FILTER_SCHEMA)
            return parameters
        bounds = integer_range(model, filter_field.field_name)
        if bounds is None:
            return parameters
        for parameter in parameters:
            schema = parameter.get("schema", {})
            target = schema.get("items", schema) if schema.get("type") == "array" else schema
            if target.get("type") == "integer":
                target["minimum"], target["maximum"] = bounds
        return parameters
