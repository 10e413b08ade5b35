"""Bad-input rules of offer terms: one side's figures, and payout compared with revenue.

The checks shared by every app (URLs, currencies, countries, hosts, ...) and `Problems` live in
core/validation.py.
"""

from decimal import Decimal

from core.validation import Problems
from offers.models import TermsKind
from offers.terms import kind_uses_amount, kind_uses_percent


def check_side(
    problems: Problems,
    *,
    prefix: str,
    kind: str | None,
    amount: Decimal | None,
    percent: Decimal | None,
) -> None:
    """One side of terms (revenue_* or payout_*): the kind's figures present and in range; a
    figure the kind does not use must be absent or zero, so nobody believes it counts."""
    if kind not in TermsKind.values:
        problems.add(f"{prefix}_kind", "invalid", f"Must be one of: {', '.join(TermsKind.values)}.")
        return
    if kind_uses_amount(kind):
        if amount is None:
            problems.add(f"{prefix}_amount", "required", f"Required for {kind}.")
        elif amount < 0:
            problems.add(f"{prefix}_amount", "negative_amount", "Must not be negative.")
    elif amount:
        problems.add(f"{prefix}_amount", "not_used", f"{kind} takes no flat amount.")
    if kind_uses_percent(kind):
        if percent is None:
            problems.add(f"{prefix}_percent", "required", f"Required for {kind}.")
        elif percent < 0 or percent > 100:
            problems.add(f"{prefix}_percent", "percent_out_of_range", "Must be from 0 to 100.")
    elif percent:
        problems.add(f"{prefix}_percent", "not_used", f"{kind} takes no percent.")


# Like-with-like comparison of payout against revenue. Each kind pays on one or two bases:
# a flat amount per conversion, a percent of the sale, or a flat amount per click (CPC). Only a
# basis present on BOTH sides is compared (flat vs flat, percent vs percent, per-click vs
# per-click); with no common basis (e.g. revenue CPA flat, payout revshare) nothing can be
# compared without a sale amount, so the terms are accepted.
def _bases(kind: str, amount: Decimal, percent: Decimal) -> dict[str, Decimal]:
    if kind == TermsKind.CPC:
        return {"per_click": amount}
    if kind == TermsKind.CPM:
        return {"per_mille": amount}
    bases = {}
    if kind_uses_amount(kind):
        bases["per_conversion"] = amount
    if kind_uses_percent(kind):
        bases["percent"] = percent
    return bases


def check_payout_not_above_revenue(
    problems: Problems,
    *,
    revenue: tuple[str, Decimal, Decimal],
    payout: tuple[str, Decimal, Decimal],
    reveal_payout: bool = True,
) -> None:
    """`reveal_payout=False` for a caller who may not see payouts (an advertiser lowering its
    revenue): the problem is then named on the revenue field, without any figure."""
    revenue_bases = _bases(*revenue)
    for basis, value in _bases(*payout).items():
        if basis in revenue_bases and value > revenue_bases[basis]:
            part = "percent" if basis == "percent" else "amount"
            if not reveal_payout:
                problems.add(
                    f"revenue_{part}",
                    "revenue_below_payout",
                    "Below what the network pays publishers on this goal; ask the network "
                    "to change the payout first.",
                )
                continue
            problems.add(
                f"payout_{part}",
                "payout_above_revenue",
                f"Payout {value} is above revenue {revenue_bases[basis]} "
                "(allowed only when the offer sets allow_payout_above_revenue).",
            )
