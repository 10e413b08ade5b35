"""Bad-input rules shared by the offers and affiliates services.

Each check adds a message under the field it is about; `Problems.raise_if_any` turns them into
one DomainError (400) before anything is written, so the API names every bad field at once.
"""

import ipaddress
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from babel import Locale

from config.errors import DomainError
from offers.models import TermsKind
from offers.terms import kind_uses_amount, kind_uses_percent
from payouts.money import currency_is_known
from tracking.macros import macros_unknown

DEVICES = ("desktop", "mobile", "tablet")
# CLDR territories that are groupings or private-use codes, not ISO 3166-1 countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})


@cache
def known_countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (from CLDR via babel; XK, Kosovo, is accepted as CLDR does)."""
    return frozenset(
        code
        for code in Locale("en").territories
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


class Problems:
    """Field -> messages, collected before raising once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.codes: list[str] = []

    def add(self, field: str, code: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)
        self.codes.append(code)

    def raise_if_any(self) -> None:
        if not self.fields:
            return
        if len(self.codes) == 1:
            field, messages = next(iter(self.fields.items()))
            raise DomainError(self.codes[0], f"{field}: {messages[0]}", fields=self.fields)
        raise DomainError(
            "invalid",
            "Invalid input in: " + ", ".join(sorted(self.fields)) + ".",
            fields=self.fields,
        )


def check_url(
    problems: Problems, field: str, url: str, *, known_macros: frozenset[str], required: bool
) -> None:
    """http(s) only (a redirect or postback must never become javascript:, file:, ...), with
    only the macros we know how to fill; the message lists them so the caller can fix it."""
    if not url:
        if required:
            problems.add(field, "required", "This field is required.")
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.add(field, "bad_url", "Must be an absolute http:// or https:// URL.")
        return
    if any(char.isspace() for char in url):
        problems.add(field, "bad_url", "Must not contain whitespace.")
        return
    unknown = macros_unknown(url, known_macros)
    if unknown:
        known = ", ".join("{" + name + "}" for name in sorted(known_macros))
        names = ", ".join("{" + name + "}" for name in unknown)
        problems.add(field, "unknown_macro", f"Unknown macro {names}. Known macros: {known}.")


def check_currency(problems: Problems, field: str, code: str) -> None:
    if not currency_is_known(code or ""):
        problems.add(field, "unknown_currency", f"{code!r} is not an ISO 4217 currency code.")


def check_countries(problems: Problems, field: str, codes: Any) -> None:
    if not _is_str_list(codes):
        problems.add(field, "invalid", "Must be a list of ISO 3166 alpha-2 codes.")
        return
    unknown = [code for code in codes if code not in known_countries()]
    if unknown:
        problems.add(
            field,
            "unknown_country",
            f"Not ISO 3166 alpha-2 country codes (upper case): {', '.join(unknown)}.",
        )


def check_devices(problems: Problems, field: str, devices: Any) -> None:
    if not _is_str_list(devices):
        problems.add(field, "invalid", f"Must be a list of: {', '.join(DEVICES)}.")
        return
    unknown = [device for device in devices if device not in DEVICES]
    if unknown:
        problems.add(
            field,
            "unknown_device",
            f"Unknown devices: {', '.join(unknown)}. Known: {', '.join(DEVICES)}.",
        )


def check_hosts(problems: Problems, field: str, hosts: Any) -> None:
    if not _is_str_list(hosts) or any(
        not host or "/" in host or any(c.isspace() for c in host) for host in hosts
    ):
        problems.add(field, "invalid", "Must be a list of host names (no scheme or path).")


def check_cidrs(problems: Problems, field: str, cidrs: Any) -> None:
    """Strict CIDRs: host bits set ("10.0.0.1/8") is refused as a likely typo."""
    if not _is_str_list(cidrs):
        problems.add(field, "invalid", "Must be a list of CIDRs, e.g. 203.0.113.0/24.")
        return
    bad = []
    for cidr in cidrs:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            bad.append(cidr)
    if bad:
        problems.add(field, "bad_cidr", f"Malformed CIDR: {', '.join(map(repr, bad))}.")


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
    field_prefix: str = "payout",
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
                f"{field_prefix}_{part}",
                "payout_above_revenue",
                f"Payout {value} is above revenue {revenue_bases[basis]} "
                "(allowed only when the offer sets allow_payout_above_revenue).",
            )


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def fields_refused(problems: Problems, given: Iterable[str], allowed: Iterable[str]) -> None:
    allowed_set = set(allowed)
    for name in given:
        if name not in allowed_set:
            problems.add(name, "not_writable", "This field cannot be set here.")
