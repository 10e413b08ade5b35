"""Which rollup tables answer a report, and the one SQL statement that reads them.

The smallest table holding every dimension the report groups or filters on is read (rollups.py
lists them smallest first). When the report does not group by hour (nor by day in a zone whose
days are not UTC days), the whole UTC days inside the range are read from a daily table and only
the hours at the range's edges from an hourly one: a week network-wide then reads seven daily
rows per pair instead of 168 hourly ones.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from config.errors import DomainError
from reports.metrics import BASE_TRAFFIC
from reports.query import COLUMNS, ReportQuery
from reports.rollups import DAILY, HOURLY, Rollup


@dataclass(frozen=True)
class Part:
    rollup: Rollup
    start: datetime | date
    end: datetime | date


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
    if hourly is None:
        raise DomainError(
            "dimensions_incompatible",
            "Country and device cannot be combined with sub2..sub5 or source in one report.",
            fields={"group_by": ["Country and device do not combine with sub2..sub5, source."]},
        )
    start, end = report_range(query=query)
    fold_days = vendor != "postgresql" and "day" in query.group_by
    daily_ok = (
        "hour" not in query.group_by
        and not fold_days
        and ("day" not in query.group_by or _days_are_utc_days(query=query))
    )
    daily = _first_covering(DAILY, needed) if daily_ok else None
    first_day = _ceil_day(start)
    last_day = end.replace(hour=0, minute=0, second=0, microsecond=0)
    if daily is None or first_day >= last_day:
        return Plan(parts=(Part(hourly, start, end),), fold_days=fold_days)
    parts = []
    if start < first_day:
        parts.append(Part(hourly, start, first_day))
    parts.append(Part(daily, first_day.date(), last_day.date()))
    if last_day < end:
        parts.append(Part(hourly, last_day, end))
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
        exprs: list[str] = []
        for name in query.group_by:
            if name == "day" and part.rollup.grain == "day":
                expr = "day"
            elif name == "day" and not plan.fold_days:
                expr = "(hour AT TIME ZONE %s)::date"
                params.append(query.tz.key)
            elif name in ("day", "hour"):
                expr = "hour"
            else:
                expr = ops.quote_name(COLUMNS[name])
            exprs.append(f"{expr} AS g{len(exprs)}")
        exprs.append(f"currency AS g{len(exprs)}")
        for name in sums:
            column = name if name in BASE_TRAFFIC else prefix + name
            exprs.append(f"SUM({column}) AS {name}")
        grain = part.rollup.grain
        adapt = ops.adapt_datetimefield_value if grain == "hour" else ops.adapt_datefield_value
        where = [f"{grain} >= %s", f"{grain} < %s"]
        params += [adapt(part.start), adapt(part.end)]
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


def _first_covering(rollups: tuple[Rollup, ...], needed: set[str]) -> Rollup | None:
    return next((r for r in rollups if needed <= set(r.dims)), None)


def _ceil_day(moment: datetime) -> datetime:
    floor = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(days=1)


def _days_are_utc_days(*, query: ReportQuery) -> bool:
    day = query.date_from
    while day <= query.date_to + timedelta(days=1):
        if datetime.combine(day, time(0), tzinfo=query.tz).utcoffset() != timedelta(0):
            return False
        day += timedelta(days=1)
    return True
