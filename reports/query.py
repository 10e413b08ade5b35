"""A report request, parsed and checked: every refusal names the parameter it is about."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.utils import timezone

from core.errors import DomainError
from core.money import currency_is_known
from core.validation import whole_number
from reports.metrics import HIDDEN_FROM, METRICS

TIME_DIMENSIONS = ("day", "hour")
# Report dimension -> rollup column.
COLUMNS = {
    "offer": "offer_id",
    "publisher": "publisher_id",
    "advertiser": "advertiser_id",
    "goal": "goal_id",
    "country": "country",
    "device": "device",
    "sub1": "sub1",
    "sub2": "sub2",
    "sub3": "sub3",
    "sub4": "sub4",
    "sub5": "sub5",
    "source": "source",
    # From the click (tracking.Click.creative_id, landing_variant_id); conversions carry their
    # click's. Read from the creative tables only (reports/rollups.py).
    "creative": "creative_id",
    "landing_variant": "landing_variant_id",
}
DIMENSIONS = TIME_DIMENSIONS + tuple(COLUMNS)
# Dimensions whose values are ids (0 stored for none: shown as None, named in the answer).
ID_DIMENSIONS = ("offer", "publisher", "advertiser", "goal", "creative", "landing_variant")
# A publisher's sub ids and source are its own business: never an advertiser's dimension.
HIDDEN_DIMENSIONS = {
    "publisher": frozenset({"advertiser"}),
    "advertiser": frozenset({"sub1", "sub2", "sub3", "sub4", "sub5", "source"}),
}
BASES = ("conversion", "click")
MAX_DAYS = 400
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class ReportQuery:
    group_by: tuple[str, ...]
    metrics: tuple[str, ...]
    date_from: date
    date_to: date
    tz: ZoneInfo
    basis: str = "conversion"
    filters: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    sort: tuple[tuple[str, bool], ...] = ()  # (name, descending)
    limit: int = 1000
    # Convert every row's money to this currency at the stored FX rates, day by day
    # (reports/selectors.py _report_converted); "" keeps each row in its own currency.
    currency: str = ""


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.code = ""

    def add(self, name: str, code: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)
        self.code = self.code or code

    def raise_any(self) -> None:
        if self.fields:
            names = ", ".join(sorted(self.fields))
            raise DomainError(self.code, f"Invalid report query in: {names}.", fields=self.fields)


def _values(params: Any, name: str) -> list[str]:
    raw = params.getlist(name) if hasattr(params, "getlist") else [params.get(name) or ""]
    return [part.strip() for item in raw for part in str(item).split(",") if part.strip()]


def report_query_parse(*, params: Any, role: str) -> ReportQuery:
    """Parse query parameters for a user of `role`; raise DomainError (400) naming each fault."""
    errors = _Errors()
    hidden_metrics = HIDDEN_FROM.get(role, frozenset())
    hidden_dims = HIDDEN_DIMENSIONS.get(role, frozenset())

    group_by = tuple(dict.fromkeys(_values(params, "group_by") or ["day"]))
    for name in group_by:
        if name not in DIMENSIONS:
            errors.add(
                "group_by",
                "unknown_dimension",
                f"Unknown dimension {name!r}; choose from {', '.join(DIMENSIONS)}.",
            )
        elif name in hidden_dims:
            errors.add("group_by", "dimension_not_allowed", f"Dimension {name!r} is not yours.")
    if "day" in group_by and "hour" in group_by:
        errors.add("group_by", "invalid", "Group by day or by hour, not both.")

    metrics = tuple(dict.fromkeys(_values(params, "metrics")))
    if metrics:
        for name in metrics:
            if name not in METRICS:
                errors.add(
                    "metrics",
                    "unknown_metric",
                    f"Unknown metric {name!r}; choose from {', '.join(METRICS)}.",
                )
        refused = [name for name in metrics if name in hidden_metrics]
        if refused:
            errors.add(
                "metrics",
                "metric_not_allowed",
                f"Not available to a {role} user: {', '.join(refused)}.",
            )
    else:
        metrics = tuple(name for name in METRICS if name not in hidden_metrics)

    # Without ?tz= a report counts the network's days (NETWORK_TIME_ZONE).
    tz_name = (params.get("tz") or settings.NETWORK_TIME_ZONE).strip()
    try:
        if tz_name not in time_zone_names():
            raise ZoneInfoNotFoundError(tz_name)
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        errors.add("tz", "unknown_time_zone", f"Unknown time zone {tz_name!r} (use IANA names).")
        tz = ZoneInfo("UTC")

    today = timezone.now().astimezone(tz).date()
    date_to = _date(params, "date_to", today, errors)
    week = timedelta(days=6)
    # The week before date_to by default, from the first day there is (year 1 has no week before).
    date_from = _date(params, "date_from", max(date_to, date.min + week) - week, errors)
    if date_from > date_to:
        errors.add("date_from", "invalid", "date_from is after date_to.")
    elif (date_to - date_from).days >= MAX_DAYS:
        errors.add("date_to", "invalid", f"A report covers at most {MAX_DAYS} days.")

    basis = (params.get("basis") or "conversion").strip()
    if basis not in BASES:
        errors.add("basis", "invalid", "basis is 'conversion' (conversion time) or 'click'.")

    filters: dict[str, tuple[Any, ...]] = {}
    for name in COLUMNS:
        values = _values(params, name)
        if not values:
            continue
        if name in hidden_dims:
            errors.add(name, "dimension_not_allowed", f"Filter {name!r} is not yours.")
            continue
        if name in ID_DIMENSIONS:
            # ASCII digits within a bigint: int() also read other scripts' digits, "+1" and ids
            # past the column (`make fuzz`).
            ids = tuple(whole_number(value) for value in values)
            if None in ids:
                errors.add(name, "invalid", f"{name} takes ids.")
            else:
                filters[name] = ids
        elif name == "country":
            filters[name] = tuple(value.upper() for value in values)
        else:
            filters[name] = tuple(values)

    sort: list[tuple[str, bool]] = []
    for item in _values(params, "sort"):
        name = item.lstrip("-")
        if name not in group_by and name not in metrics:
            errors.add("sort", "invalid", f"Sort by a chosen dimension or metric, not {name!r}.")
        sort.append((name, item.startswith("-")))

    limit = 1000
    if params.get("limit"):
        try:
            limit = int(params.get("limit"))
            if not 1 <= limit <= MAX_LIMIT:
                raise ValueError
        except ValueError:
            errors.add("limit", "invalid", f"limit is a whole number from 1 to {MAX_LIMIT}.")

    currency = (params.get("currency") or "").strip().upper()
    if currency and not currency_is_known(currency):
        errors.add("currency", "invalid", f"Unknown currency {currency!r} (ISO 4217).")

    errors.raise_any()
    return ReportQuery(
        group_by=group_by,
        metrics=metrics,
        date_from=date_from,
        date_to=date_to,
        tz=tz,
        basis=basis,
        filters=filters,
        sort=tuple(sort),
        limit=limit,
        currency=currency,
    )


def _date(params: Any, name: str, default: date, errors: _Errors) -> date:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.add(name, "invalid", f"{name} is a date as YYYY-MM-DD.")
        return default


@cache
def time_zone_names() -> frozenset[str]:
    """The IANA names ?tz= takes (the API's schema lists them)."""
    return frozenset(available_timezones() | {"UTC"})
