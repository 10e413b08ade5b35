"""Report metrics: what each one needs from the rollups and how it is computed.

Definitions (docs in reports/README.md):
- clicks are all recorded clicks (bots included; `bot_clicks` says how many were bots);
- conversions = pending + approved (rejected and reversed ones are listed apart);
- revenue, payout and profit count approved conversions and CPC clicks (unique, non-bot clicks
  on CPC terms, money on the click's own row): what is owed; average sale approved conversions;
- cr = conversions / clicks in percent; epc = payout / clicks; margin = profit / revenue in
  percent; avg_sale = sale amount / approved conversions that carried one;
- sale_amount sums the approved conversions' sale amounts; roas = sale_amount / revenue (the
  advertiser's sales per unit of what it paid the network, to 0.01; None without revenue).
Money is per currency; money figures are rounded with `money_round`, percentages to 0.01.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.money import currency_is_known, money_round

# Sums a report reads; conversion sums come from the basis' columns (ct_* or cv_*).
BASE_TRAFFIC = ("impressions", "clicks", "unique_clicks", "bot_clicks")
BASE_CONVERSION = (
    "pending",
    "approved",
    "rejected",
    "reversed",
    "sales",
    "revenue_micros",
    "payout_micros",
    "sale_micros",
)

NEEDS: dict[str, tuple[str, ...]] = {
    "impressions": ("impressions",),
    "clicks": ("clicks",),
    "unique_clicks": ("unique_clicks",),
    "bot_clicks": ("bot_clicks",),
    "conversions": ("pending", "approved"),
    "approved": ("approved",),
    "pending": ("pending",),
    "rejected": ("rejected",),
    "reversed": ("reversed",),
    "cr": ("pending", "approved", "clicks"),
    "epc": ("payout_micros", "clicks"),
    "revenue": ("revenue_micros",),
    "payout": ("payout_micros",),
    "profit": ("revenue_micros", "payout_micros"),
    "margin": ("revenue_micros", "payout_micros"),
    "avg_sale": ("sales", "sale_micros"),
    "sale_amount": ("sale_micros",),
    "roas": ("sale_micros", "revenue_micros"),
}
METRICS = tuple(NEEDS)

# What each role may not see: a publisher never the network's side, an advertiser never the
# publisher's earnings (EPC is earnings per click).
HIDDEN_FROM = {
    "publisher": frozenset({"revenue", "profit", "margin", "roas"}),
    "advertiser": frozenset({"payout", "profit", "margin", "epc"}),
}

_PERCENT = Decimal("0.01")


def metrics_compute(
    *, sums: dict[str, int], currency: str, metrics: tuple[str, ...]
) -> dict[str, Any]:
    """The requested metrics from one row's sums (plain ints; money in millionths)."""
    out: dict[str, Any] = {}
    for name in metrics:
        out[name] = _compute(name, sums, currency)
    return out


def _compute(name: str, s: dict[str, int], currency: str) -> Any:
    if name in ("impressions", "clicks", "unique_clicks", "bot_clicks"):
        return s[name]
    if name in ("approved", "pending", "rejected", "reversed"):
        return s[name]
    if name == "conversions":
        return s["pending"] + s["approved"]
    if name == "cr":
        return _percent(s["pending"] + s["approved"], s["clicks"])
    if name == "epc":
        return _ratio_money(s["payout_micros"], s["clicks"], currency)
    if name == "revenue":
        return _money(s["revenue_micros"], currency)
    if name == "payout":
        return _money(s["payout_micros"], currency)
    if name == "profit":
        return _money(s["revenue_micros"] - s["payout_micros"], currency)
    if name == "margin":
        return _percent(s["revenue_micros"] - s["payout_micros"], s["revenue_micros"])
    if name == "avg_sale":
        return _ratio_money(s["sale_micros"], s["sales"], currency)
    if name == "sale_amount":
        return _money(s["sale_micros"], currency)
    if name == "roas":
        if not s["revenue_micros"]:
            return None
        return (Decimal(s["sale_micros"]) / Decimal(s["revenue_micros"])).quantize(
            _PERCENT, rounding=ROUND_HALF_UP
        )
    raise KeyError(name)


def _money(micros: int, currency: str) -> Decimal:
    amount = Decimal(micros).scaleb(-6)
    # Sums of rounded amounts are exact in the minor unit: this only fixes the decimals shown.
    return money_round(amount, currency) if currency_is_known(currency) else amount


def _ratio_money(micros: int, count: int, currency: str) -> Decimal | None:
    if not count:
        return None
    amount = Decimal(micros).scaleb(-6) / count
    return money_round(amount, currency) if currency_is_known(currency) else amount


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_PERCENT, rounding=ROUND_HALF_UP)
