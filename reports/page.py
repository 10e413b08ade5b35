"""A report's order, and on PostgreSQL its sorted page and totals computed in SQL.

A network report by publisher has thousands of groups and shows fifty: sorting, cutting the page
and adding the totals in PostgreSQL leaves Python only the page's rows. The SQL sort keys are the
values the rows show (metrics.py), so both paths give the same order:

- percentages rounded to 0.01 and money ratios to the currency's minor unit, half away from zero
  (Decimal's ROUND_HALF_UP); money sums are exact in the minor unit, so their micros sort as shown;
- text in code point order (COLLATE "C", as Python compares strings), goal 0 (traffic) as empty;
- empty values (a ratio over zero) last in either direction.
SQLite keeps the Python path (reports/selectors.py): it folds days in Python and its ROUND is
binary floating point.
"""

from functools import cache
from typing import Any

from babel.numbers import list_currencies

from core.money import currency_exponent
from reports.query import ID_DIMENSIONS, ReportQuery

TIME = ("day", "hour")


def report_order(*, query: ReportQuery) -> list[tuple[str, bool]]:
    """(name, descending) keys: as asked, else time, else clicks descending; currency last."""
    order = list(query.sort)
    if not order:
        order = [(name, False) for name in query.group_by if name in TIME]
        if not order:
            first = next((m for m in ("clicks", "conversions") if m in query.metrics), None)
            order = [(first or query.metrics[0], True)]
        order += [(name, False) for name in query.group_by if name not in TIME]
    order.append(("currency", False))
    return order


def page_sql(
    *, grouped: str, params: list[Any], query: ReportQuery, sums: tuple[str, ...]
) -> tuple[str, list[Any]]:
    """Wrap the grouped statement: the page's rows in order, then one totals row per currency.

    Columns: kind (0 page, 1 totals), g0..gN (group values; currency last), the sums, the
    number of non-empty groups and the row's place in the page (UNION ALL keeps no order).
    Groups whose sums are all zero are no rows (as in Python).
    """
    width = len(query.group_by)
    groups = [f"g{i}" for i in range(width + 1)]
    nonzero = " OR ".join(f"{name} <> 0" for name in sums)
    keys: list[str] = []
    key_params: list[Any] = []
    for name, descending in report_order(query=query):
        expr, expr_params = _key(name, query=query, sums=sums)
        keys.append(f"{expr} {'DESC' if descending else 'ASC'} NULLS LAST")
        key_params += expr_params
    # Ties beyond the asked keys: by the group values, for a stable page from run to run.
    keys += [f"g{i}" for i in range(width)]
    order = ", ".join(keys)
    blanks = ", ".join(["NULL"] * width)
    totals_groups = f"{blanks}, g{width}" if width else f"g{width}"
    sql = (
        f"WITH grouped AS ({grouped}), "  # noqa: S608 (names from code, values are parameters)
        f"kept AS (SELECT * FROM grouped WHERE {nonzero}) "
        f"SELECT * FROM (SELECT 0 AS kind, {', '.join(groups)}, {', '.join(sums)}, "
        f"count(*) OVER () AS total_rows, row_number() OVER (ORDER BY {order}) AS pos "
        f"FROM kept ORDER BY pos LIMIT %s) page "
        f"UNION ALL "
        f"SELECT 1, {totals_groups}, {', '.join(f'SUM({name})' for name in sums)}, NULL, NULL "
        f"FROM kept GROUP BY g{width}"
    )
    return sql, [*params, *key_params, query.limit]


def _key(name: str, *, query: ReportQuery, sums: tuple[str, ...]) -> tuple[str, list[Any]]:
    if name == "currency":
        return f'g{len(query.group_by)} COLLATE "C"', []
    if name in query.group_by:
        column = f"g{query.group_by.index(name)}"
        if name in TIME:
            return column, []
        if name in ID_DIMENSIONS:
            return f"NULLIF({column}, 0)", []
        return f'{column} COLLATE "C"', []
    conversions = "(pending + approved)"
    profit = "(revenue_micros - payout_micros)"
    plain = {
        "conversions": conversions,
        "revenue": "revenue_micros",
        "payout": "payout_micros",
        "profit": profit,
        "cr": f"ROUND({conversions} * 100.0 / NULLIF(clicks, 0), 2)",
        "margin": f"ROUND({profit} * 100.0 / NULLIF(revenue_micros, 0), 2)",
        "sale_amount": "sale_micros",
        "roas": "ROUND(sale_micros * 1.0 / NULLIF(revenue_micros, 0), 2)",
    }
    if name in plain:
        return plain[name], []
    ratios = {"epc": ("payout_micros", "clicks"), "avg_sale": ("sale_micros", "sales")}
    if name in ratios:
        micros, count = ratios[name]
        ratio = f"({micros} / 1000000.0 / NULLIF({count}, 0))"
        codes, exponents = _exponents()
        exponent = f"(%s::int[])[array_position(%s::text[], g{len(query.group_by)}::text)]"
        # Unknown currencies are shown unrounded (metrics.py), so they sort unrounded too.
        return (
            f"CASE WHEN {exponent} IS NULL THEN {ratio} ELSE ROUND({ratio}, {exponent}) END",
            [exponents, codes, exponents, codes],
        )
    assert name in sums, name
    return name, []


@cache
def _exponents() -> tuple[list[str], list[int]]:
    codes = sorted(list_currencies())
    return codes, [currency_exponent(code) for code in codes]
