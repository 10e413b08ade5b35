"""Bad-input rules shared by the services of every app (offers, affiliates, ...).

Each check adds a message under the field it is about; `Problems.raise_if_any` turns them into
one DomainError (400) before anything is written, so the API names every bad field at once.
"""

import ipaddress
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from babel import Locale

from core.errors import DomainError
from core.macros import macros_unknown
from core.money import currency_is_known

DEVICES = ("desktop", "mobile", "tablet")
BIGINT_MAX = 2**63 - 1


def whole_number(text: str, *, maximum: int = BIGINT_MAX) -> int | None:
    """`text` as a whole number from 0 to `maximum` (a bigint column by default), else None.

    ASCII digits only: str.isdigit() is also true of superscripts and other scripts' digits,
    which int() refuses (a 500 found by `make fuzz`); a value past the column is no id either.
    """
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None


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


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
