"""Which rollup tables answer a report, and the one SQL statement that reads them.

The smallest table holding every dimension the report groups or filters on is read (rollups.py
lists them smallest first). Unless the report groups by hour, each UTC day inside the range is
read from a daily table, corrected by a few hourly rows where that is exact:

- a day partly inside the range is its daily row minus the hours outside the range, or just the
  hours inside, whichever reads fewer rows;
- by day in a zone whose days are not UTC days (Berlin: local day D is 23:00 on D-1 to 23:00 on
  D in UTC), an hour of UTC day d that falls on another local day is subtracted from d's row
  and added to its own local day.

Every counter is a sum, so adding and subtracting hours is exact: the answer equals summing the
hours. A month by day in Berlin then reads 30 daily rows and 60 hours per offer instead of 720
hours.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from core.errors import DomainError
from reports.metrics import BASE_TRAFFIC
from reports.query import COLUMNS, ReportQuery
from reports.rollups import DAILY, HOURLY, Rollup

HOUR = timedelta(hours=1)
_CREATIVE_COLUMNS = {"creative_id", "landing_variant_id"}
# A daily row set costs about as much to read as this many hourly ones (OfferDay holds as many
# rows per day as OfferHour per hour; PairDay, CountryDay and GeoDay a few times more).
DAY_COST = 4


@dataclass(frozen=True)
class Part:
    rollup: Rollup
    # [start, end) ranges of the table's time column: datetimes for hours, dates for days.
    spans: tuple[tuple[Any, Any], ...]
    sign: int = 1
    # For a report by day: an hourly row counts on its day in the report's zone ("local"), or
    # on the UTC day whose daily row it corrects ("utc").
    day_of: str = "local"


@dataclass(frozen=True)
class Plan:
    parts: tuple[Part, ...]
    # SQLite has no time zones: it groups by hour and the days are folded in Python.
    fold_days: bool


def report_range(*, query: ReportQuery) -> tuple[datetime, datetime]:
    """The report's local days as UTC instants [start, end)."""
    start = datetime.combine(query.date_from, time(0), tzinfo=query.tz).astimezone(UTC)
    end = datetime.combine(query.date_to + timedelta(days=1), time(0), tzinfo=query.tz)
    return start, end.astimezone(UTC)


def report_plan(*, query: ReportQuery, scope: dict[str, int], vendor: str) -> Plan:
    needed = {COLUMNS[name] for name in query.group_by if name in COLUMNS}
    needed |= {COLUMNS[name] for name in query.filters}
    needed |= set(scope)
    hourly = _first_covering(HOURLY, needed)
    if hourly is None and needed & _CREATIVE_COLUMNS:
        raise DomainError(
            "dimensions_incompatible",
            "Creative and landing page combine only with offer, publisher, goal and advertiser.",
            fields={
                "group_by": [
                    "Creative and landing page do not combine with country, device, "
                    "sub ids or source."
                ]
            },
        )
    if hourly is None:
        raise DomainError(
            "dimensions_incompatible",
            "Country and device cannot be combined with sub2..sub5 or source in one report.",
            fields={"group_by": ["Country and device do not combine with sub2..sub5, source."]},
        )
    start, end = report_range(query=query)
    fold_days = vendor != "postgresql" and "day" in query.group_by
    daily = None
    if "hour" not in query.group_by and not fold_days:
        daily = _first_covering(DAILY, needed)
    if daily is None:
        return Plan(parts=(Part(hourly, ((start, end),)),), fold_days=fold_days)

    by_day = "day" in query.group_by
    days: list[date] = []
    plus: list[datetime] = []  # hours added on their local day
    minus: list[datetime] = []  # hours taken out of their UTC day's daily row
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        buckets = [day + k * HOUR for k in range(24)]
        inside = [h for h in buckets if start <= h < end]
        outside = [h for h in buckets if not start <= h < end]
        moved = [h for h in inside if by_day and h.astimezone(query.tz).date() != day.date()]
        if inside and DAY_COST + len(outside) + 2 * len(moved) < len(inside):
            days.append(day.date())
            minus += outside + moved
            plus += moved
        else:
            plus += inside
        day += timedelta(days=1)
    parts = []
    if days:
        parts.append(Part(daily, _spans(days, timedelta(days=1))))
    if plus:
        parts.append(Part(hourly, _spans(sorted(plus), HOUR)))
    if minus:
        parts.append(Part(hourly, _spans(sorted(minus), HOUR), sign=-1, day_of="utc"))
    return Plan(parts=tuple(parts), fold_days=False)


def report_sql(
    *,
    plan: Plan,
    query: ReportQuery,
    scope: dict[str, int],
    sums: tuple[str, ...],
    ops: Any,
) -> tuple[str, list[Any]]:
    """SELECT <group values...>, currency, <sums...> grouped; one statement for every part."""
    prefix = "ct_" if query.basis == "click" else "cv_"
    width = len(query.group_by) + 1
    ordinals = ", ".join(str(i) for i in range(1, width + 1))
    selects: list[str] = []
    params: list[Any] = []
    for part in plan.parts:
        grain = part.rollup.grain
        exprs: list[str] = []
        for name in query.group_by:
            if name == "day" and grain == "day":
                expr = "day"
            elif name == "day" and part.day_of == "utc":
                expr = "(hour AT TIME ZONE 'UTC')::date"
            elif name == "day" and not plan.fold_days:
                expr = "(hour AT TIME ZONE %s)::date"
                params.append(query.tz.key)
            elif name in ("day", "hour"):
                expr = "hour"
            else:
                expr = ops.quote_name(COLUMNS[name])
            exprs.append(f"{expr} AS g{len(exprs)}")
        exprs.append(f"currency AS g{len(exprs)}")
        sign = "-" if part.sign < 0 else ""
        for name in sums:
            column = name if name in BASE_TRAFFIC else prefix + name
            exprs.append(f"{sign}SUM({column}) AS {name}")
        adapt = ops.adapt_datetimefield_value if grain == "hour" else ops.adapt_datefield_value
        when, when_params = _spans_sql(part, adapt)
        where = [when]
        params += when_params
        for name, values in query.filters.items():
            where.append(f"{ops.quote_name(COLUMNS[name])} IN ({', '.join(['%s'] * len(values))})")
            params += list(values)
        for column, value in scope.items():
            where.append(f"{column} = %s")
            params.append(value)
        # Table and column names come from rollups.py and query.COLUMNS, never from the request;
        # every value is a parameter.
        selects.append(
            f"SELECT {', '.join(exprs)} FROM {part.rollup.table} "  # noqa: S608
            f"WHERE {' AND '.join(where)} GROUP BY {ordinals}"
        )
    if len(selects) == 1:
        return selects[0], params
    outer = [f"g{i}" for i in range(width)] + [f"SUM({name}) AS {name}" for name in sums]
    inner = " UNION ALL ".join(selects)
    sql = f"SELECT {', '.join(outer)} FROM ({inner}) parts GROUP BY {ordinals}"  # noqa: S608
    return sql, params


def _spans(points: list[Any], step: timedelta) -> tuple[tuple[Any, Any], ...]:
    """Sorted hours (or days) as [start, end) ranges of consecutive ones."""
    spans: list[list[Any]] = []
    for point in points:
        if spans and spans[-1][1] == point:
            spans[-1][1] = point + step
        else:
            spans.append([point, point + step])
    return tuple((first, last) for first, last in spans)


def _spans_sql(part: Part, adapt: Any) -> tuple[str, list[Any]]:
    """The time condition: single buckets as one IN list (an index lookup each), runs as ranges."""
    column = part.rollup.grain
    step = HOUR if column == "hour" else timedelta(days=1)
    singles = [first for first, last in part.spans if last - first == step]
    runs = [(first, last) for first, last in part.spans if last - first != step]
    if len(singles) == 1:
        runs, singles = [*runs, (singles[0], singles[0] + step)], []
    conditions = [f"({column} >= %s AND {column} < %s)" for _ in runs]
    params = [adapt(value) for run in runs for value in run]
    if singles:
        conditions.append(f"{column} IN ({', '.join(['%s'] * len(singles))})")
        params += [adapt(value) for value in singles]
    if len(conditions) == 1:
        return conditions[0], params
    return f"({' OR '.join(conditions)})", params


def _first_covering(rollups: tuple[Rollup, ...], needed: set[str]) -> Rollup | None:
    return next((r for r in rollups if needed <= set(r.dims)), None)
