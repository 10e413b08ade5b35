"""Bad-input rules shared by the services of every app (offers, affiliates, ...).

Each check adds a message under the field it is about; `Problems.raise_if_any` turns them into
one DomainError (400) before anything is written, so the API names every bad field at once.
"""

import ipaddress
import re
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


# What a URL may not hold anywhere (a character class body): whitespace, C0 controls and DEL.
# urlsplit silently drops some of them (tabs, newlines, leading controls), so a URL holding one
# is not the URL that would be followed.
URL_REFUSED_CHARS = r"\s\x00-\x1f\x7f"
# A URL's host part (up to the first / ? #): printable ASCII without brackets. An international
# name goes in its ASCII (xn--) form; brackets (an IPv6 literal) are refused, since urlsplit
# raises on malformed ones and no landing page needs one.
URL_HOST_CHARS = r"\x21\x22\x24-\x2e\x30-\x3e\x40-\x5a\x5c\x5e-\x7e"
_URL_REFUSED = re.compile(f"[{URL_REFUSED_CHARS}]")
_URL_HOST = re.compile(f"[{URL_HOST_CHARS}]+")


def check_url(
    problems: Problems, field: str, url: str, *, known_macros: frozenset[str], required: bool
) -> None:
    """http(s) only (a redirect or postback must never become javascript:, file:, ...), with
    only the macros we know how to fill; the message lists them so the caller can fix it.
    core.api_fields.url_pattern states the same rule in the request schema."""
    if not url:
        if required:
            problems.add(field, "required", "This field is required.")
        return
    if _URL_REFUSED.search(url):
        problems.add(field, "bad_url", "Must not contain whitespace or control characters.")
        return
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        problems.add(field, "bad_url", "Must be an absolute http:// or https:// URL.")
        return
    if not _URL_HOST.fullmatch(parts.netloc):
        problems.add(
            field,
            "bad_url",
            "The host must be printable ASCII without brackets (an international name in its "
            "xn-- form).",
        )
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
    """Host names as a URL's host part takes them (URL_HOST_CHARS: printable ASCII, an
    international name in its xn-- form), which the request schema states too
    (offers.api.serializers.host_names)."""
    if not _is_str_list(hosts) or any(not _URL_HOST.fullmatch(host) for host in hosts):
        problems.add(
            field,
            "invalid",
            "Must be a list of host names (no scheme or path; an international name in its "
            "xn-- form).",
        )


_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(\.{_OCTET}){{3}}"
_H = "[0-9a-fA-F]{1,4}"
_IPV6 = "|".join(
    [
        rf"({_H}:){{7}}{_H}",
        rf"({_H}:){{1,7}}:",
        rf"({_H}:){{1,6}}:{_H}",
        rf"({_H}:){{1,5}}(:{_H}){{1,2}}",
        rf"({_H}:){{1,4}}(:{_H}){{1,3}}",
        rf"({_H}:){{1,3}}(:{_H}){{1,4}}",
        rf"({_H}:){{1,2}}(:{_H}){{1,5}}",
        rf"{_H}:(:{_H}){{1,6}}",
        rf":((:{_H}){{1,7}}|:)",
    ]
)
# An IPv4 or IPv6 address, or a network with its prefix length: ipaddress.ip_network's syntax
# without its rarer spellings (a netmask for a prefix, leading zeros, embedded IPv4, a scope),
# which check_cidrs refuses too, so the request schema (core.api_fields.CidrField) says it all
# but one rule: no host bits set under the prefix.
CIDR_PATTERN = (
    rf"^(({_IPV4})(/(3[0-2]|[12]?[0-9]))?|({_IPV6})(/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))?)$"
)
_CIDR = re.compile(CIDR_PATTERN)


def check_cidrs(problems: Problems, field: str, cidrs: Any) -> None:
    """Strict CIDRs: host bits set ("10.0.0.1/8") is refused as a likely typo."""
    if not _is_str_list(cidrs):
        problems.add(field, "invalid", "Must be a list of CIDRs, e.g. 203.0.113.0/24.")
        return
    bad = []
    for cidr in cidrs:
        try:
            if not _CIDR.fullmatch(cidr):
                raise ValueError(cidr)
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            bad.append(cidr)
    if bad:
        problems.add(field, "bad_cidr", f"Malformed CIDR: {', '.join(map(repr, bad))}.")


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
