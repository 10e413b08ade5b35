"""Reports: read the rollups for a user, scoped by role, grouped, sorted, with totals."""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from accounts.models import Role
from affiliates.models import Publisher
from core.errors import DomainError, ForbiddenError
from offers.models import Advertiser, Creative, Goal, LandingVariant, Offer
from payouts.fx import fx_rate_find
from reports.metrics import NEEDS, metrics_compute
from reports.page import page_sql, report_order
from reports.plan import report_plan, report_sql
from reports.query import ID_DIMENSIONS, MAX_LIMIT, ReportQuery

Entry = tuple[tuple, dict[str, int]]  # (group values..., currency), sums
_NAMED = {
    "offer": Offer,
    "publisher": Publisher,
    "advertiser": Advertiser,
    "goal": Goal,
    "creative": Creative,
    "landing_variant": LandingVariant,
}


@dataclass(frozen=True)
class Report:
    query: ReportQuery
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    totals: list[dict[str, Any]]
    total_rows: int
    tables: tuple[str, ...]


def report_scope(*, user: Any) -> dict[str, int]:
    """Rollup columns a user's reports are pinned to: publishers and advertisers see their own."""
    if user.role == Role.PUBLISHER:
        return {"publisher_id": user.publisher_id}
    if user.role == Role.ADVERTISER:
        return {"advertiser_id": user.advertiser_id}
    if user.role in (Role.MANAGER, Role.FINANCE) or user.is_superuser:
        return {}
    raise ForbiddenError("forbidden", "This account may not read reports.")


def report_run(*, user: Any, query: ReportQuery) -> Report:
    if query.currency:
        return _report_converted(user=user, query=query)
    entries, totals, total_rows, tables = report_entries(user=user, query=query)
    return report_build(
        query=query, entries=entries, totals=totals, total_rows=total_rows, tables=tables
    )


def report_entries(
    *, user: Any, query: ReportQuery
) -> tuple[list[Entry], dict[str, dict[str, int]], int, tuple[str, ...]]:
    """The page's (group key, sums) entries, the sums per currency, the row count, the tables."""
    scope = report_scope(user=user)
    plan = report_plan(query=query, scope=scope, vendor=connection.vendor)
    sums = report_sums(query=query)
    sql, params = report_sql(plan=plan, query=query, scope=scope, sums=sums, ops=connection.ops)
    if connection.vendor == "postgresql":
        entries, totals, total_rows = _page_in_sql(sql=sql, params=params, query=query, sums=sums)
    else:
        entries, totals, total_rows = _page_in_python(
            sql=sql, params=params, query=query, sums=sums, fold_days=plan.fold_days
        )
    return (
        entries,
        totals,
        total_rows,
        tuple(dict.fromkeys(part.rollup.table for part in plan.parts)),
    )


def report_sums(*, query: ReportQuery) -> tuple[str, ...]:
    return tuple(dict.fromkeys(base for name in query.metrics for base in NEEDS[name]))


def report_build(
    *,
    query: ReportQuery,
    entries: list[Entry],
    totals: dict[str, dict[str, int]],
    total_rows: int,
    tables: tuple[str, ...],
    flagged: frozenset[tuple] | None = None,
) -> Report:
    """The report of a page of entries. `flagged` (a converted report): the keys of rows left
    in their own currency for want of an FX rate, marked `fx_rate_missing`."""
    page = []
    for key, values in entries:
        currency = key[-1]
        row: dict[str, Any] = dict(zip(query.group_by, key[:-1], strict=True))
        row["currency"] = currency
        row.update(metrics_compute(sums=values, currency=currency, metrics=query.metrics))
        if flagged is not None:
            row["fx_rate_missing"] = key in flagged
        page.append(row)
    _names_attach(rows=page, query=query)

    columns = [
        column
        for name in query.group_by
        for column in ((name, f"{name}_name") if name in _NAMED else (name,))
    ]
    extra = ("fx_rate_missing",) if flagged is not None else ()
    return Report(
        query=query,
        columns=(*columns, "currency", *query.metrics, *extra),
        rows=page,
        totals=[
            {
                "currency": currency,
                **metrics_compute(sums=s, currency=currency, metrics=query.metrics),
            }
            for currency, s in sorted(totals.items())
        ],
        total_rows=total_rows,
        tables=tables,
    )


def _page_in_sql(
    *, sql: str, params: list[Any], query: ReportQuery, sums: tuple[str, ...]
) -> tuple[list[Entry], dict[str, dict[str, int]], int]:
    """PostgreSQL sorts, cuts the page and adds the totals (reports/page.py)."""
    sql, params = page_sql(grouped=sql, params=params, query=query, sums=sums)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    width = len(query.group_by)
    page: list[tuple[int, Entry]] = []
    totals: dict[str, dict[str, int]] = {}
    total_rows = 0
    for kind, *record in fetched:
        currency = record[width]
        values = dict(zip(sums, (int(v) for v in record[width + 1 : -2]), strict=True))
        if kind == 1:
            totals[currency] = values
            continue
        key = (
            *(
                _group_value(name, value, query, False)
                for name, value in zip(query.group_by, record[:width], strict=True)
            ),
            currency,
        )
        page.append((record[-1], (key, values)))
        total_rows = record[-2]
    page.sort(key=lambda item: item[0])
    return [entry for _, entry in page], totals, total_rows


def _page_in_python(
    *, sql: str, params: list[Any], query: ReportQuery, sums: tuple[str, ...], fold_days: bool
) -> tuple[list[Entry], dict[str, dict[str, int]], int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()

    width = len(query.group_by)
    groups: dict[tuple, dict[str, int]] = {}
    for record in fetched:
        key = (
            *(
                _group_value(name, value, query, fold_days)
                for name, value in zip(query.group_by, record[:width], strict=True)
            ),
            record[width],
        )
        values = dict(zip(sums, (int(v or 0) for v in record[width + 1 :]), strict=True))
        if fold_days:
            _add(groups.setdefault(key, dict.fromkeys(sums, 0)), values)
        else:
            groups[key] = values

    # Metrics are computed for the returned page only; sorting computes just its own keys.
    kept = [(key, values) for key, values in groups.items() if any(values.values())]
    totals: dict[str, dict[str, int]] = {}
    for key, values in kept:
        _add(totals.setdefault(key[-1], dict.fromkeys(sums, 0)), values)
    _sort(entries=kept, query=query)
    return kept[: query.limit], totals, len(kept)


def _group_value(name: str, value: Any, query: ReportQuery, fold_days: bool) -> Any:
    if name == "hour":
        return _aware(value).astimezone(query.tz)
    if name == "day":
        if fold_days:
            return _aware(value).astimezone(query.tz).date()
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if name in ID_DIMENSIONS:
        # Goal 0 is traffic, which has no goal; creative and landing variant 0, none.
        return int(value) or None
    return value


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _add(into: dict[str, int], values: dict[str, int]) -> None:
    for name, value in values.items():
        into[name] += value


def _names_attach(*, rows: list[dict[str, Any]], query: ReportQuery) -> None:
    """Names beside ids, looked up for the returned page only."""
    for name in query.group_by:
        if name in _NAMED:
            ids = {row[name] for row in rows if row[name] is not None}
            names = dict(_NAMED[name].objects.filter(id__in=ids).values_list("id", "name"))
            for row in rows:
                row[f"{name}_name"] = names.get(row[name])
    if "goal" in query.group_by:
        # What the goal measures (lead, sale, install, other): a flat amount on a lead goal is
        # CPL, a share of a sale goal is CPS. Empty for traffic (goal 0).
        ids = {row["goal"] for row in rows if row["goal"] is not None}
        kinds = dict(Goal.objects.filter(id__in=ids).values_list("id", "kind"))
        for row in rows:
            row["goal_kind"] = kinds.get(row["goal"], "")


_MONEY_SUMS = ("revenue_micros", "payout_micros", "sale_micros")


def _report_converted(*, user: Any, query: ReportQuery) -> Report:
    """The report with every row's money in `query.currency`.

    Money is converted day by day: the rollups are read grouped by day as well (or by hour, if
    asked), each day's sums are converted at that day's stored rate (payouts.fx.fx_rate_find:
    the pair's rate on the day or the latest within FX_RATE_MAX_AGE_DAYS before it, its inverse,
    or the cross through EUR), and only then added into the rows asked for; amounts are rounded
    once, in the target currency, when the row's metrics are computed. A day with no usable
    rate is not dropped: its sums stay in their own currency, in a row of that currency marked
    `fx_rate_missing` (so a row never mixes converted and unconverted money). Paging and sorting
    happen after conversion, over at most MAX_LIMIT day rows.
    """
    target = query.currency
    by_day = "day" in query.group_by or "hour" in query.group_by
    inner = replace(
        query,
        group_by=query.group_by if by_day else (*query.group_by, "day"),
        sort=(),
        limit=MAX_LIMIT,
        currency="",
    )
    entries, _, total_rows, tables = report_entries(user=user, query=inner)
    if total_rows > MAX_LIMIT:
        raise DomainError.for_field(
            "currency",
            "too_many_rows",
            f"Converting reads one row per day and group, at most {MAX_LIMIT}: narrow the "
            "dates, the grouping or the filters.",
        )
    when = inner.group_by.index("hour" if "hour" in inner.group_by else "day")
    width = len(query.group_by)
    rates: dict[tuple[str, date], Decimal | None] = {}
    groups: dict[tuple, dict[str, int]] = {}
    flagged: set[tuple] = set()
    for key, values in entries:
        currency, moment = key[-1], key[when]
        day = moment.date() if isinstance(moment, datetime) else moment
        if (currency, day) not in rates:
            rates[(currency, day)] = fx_rate_find(base=currency, quote=target, on=day)
        rate = rates[(currency, day)]
        converted = dict(values)
        if rate is not None:
            for name in _MONEY_SUMS:
                if name in converted:
                    converted[name] = int((Decimal(converted[name]) * rate).to_integral_value())
        out_key = (*key[:width], target if rate is not None else currency)
        if rate is None:
            flagged.add(out_key)
        _add(groups.setdefault(out_key, dict.fromkeys(converted, 0)), converted)
    kept = [(key, values) for key, values in groups.items() if any(values.values())]
    totals: dict[str, dict[str, int]] = {}
    for key, values in kept:
        _add(totals.setdefault(key[-1], dict.fromkeys(values, 0)), values)
    _sort(entries=kept, query=query)
    return report_build(
        query=query,
        entries=kept[: query.limit],
        totals=totals,
        total_rows=len(kept),
        tables=tables,
        flagged=frozenset(flagged),
    )


def _sort(*, entries: list[Entry], query: ReportQuery) -> None:
    """Sort (group key, sums) entries as the rows they make would sort."""
    order = report_order(query=query)
    positions = {name: i for i, name in enumerate(query.group_by)}
    positions["currency"] = len(query.group_by)

    def value(entry: Entry, name: str) -> Any:
        key, sums = entry
        if name in positions:
            return key[positions[name]]
        return metrics_compute(sums=sums, currency=key[-1], metrics=(name,))[name]

    # Stable sorts, last key first; empty values (None) always last.
    for name, descending in reversed(order):
        keyed = [(value(entry, name), entry) for entry in entries]
        present = [item for item in keyed if item[0] is not None]
        missing = [item[1] for item in keyed if item[0] is None]
        present.sort(key=lambda item: item[0], reverse=descending)
        entries[:] = [item[1] for item in present] + missing
