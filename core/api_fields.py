"""Body fields whose rule the OpenAPI schema states in full, so the schema and the API agree.

- `HttpUrlField`: an absolute http(s) URL with only known `{macro}`s (core.validation.check_url
  decides; the schema's pattern says the same), blank where the field is optional.
"""

import re
from typing import Any

from rest_framework import serializers

# A scheme check_url accepts (urlsplit lower-cases it), a host, then no whitespace, NUL or
# brackets (urlsplit refuses an unbalanced one), and braces only around a known macro.
_URL_HEAD = r"[hH][tT][tT][pP][sS]?://[^\s\x00/?#{}\[\]][^\s\x00{}\[\]]*"


def url_pattern(macros: frozenset[str], *, blank: bool) -> str:
    rest = r"[^\s\x00{}\[\]]*"
    known = "|".join(re.escape(name) for name in sorted(macros))
    body = _URL_HEAD + (rf"(\{{({known})\}}{rest})*" if known else "")
    return rf"^({body})?$" if blank else rf"^{body}$"


class HttpUrlField(serializers.CharField):
    """A URL a redirect, pixel or browser will follow: http(s) only, with only `macros`.
    The service checks it (bad_url, unknown_macro); this field only documents the rule."""

    def __init__(self, *, macros: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        schema: dict[str, Any] = {
            "type": "string",
            "pattern": url_pattern(macros, blank=self.allow_blank),
        }
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if macros:
            schema["description"] = "Known macros: " + ", ".join(
                "{" + name + "}" for name in sorted(macros)
            )
        self._spectacular_annotation = {"field": schema}


def documented(field: serializers.Field, schema: dict[str, Any]) -> serializers.Field:
    """`field` as is, documented by `schema` (drf-spectacular's per-field override), for a rule
    a service checks (and names) that the schema can still state in full."""
    # On a subclass: a serializer deep-copies its declared fields by building them anew.
    cls = type(field)
    field.__class__ = type(cls.__name__, (cls,), {"_spectacular_annotation": {"field": schema}})
    return field


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
# An IPv4 or IPv6 address, or a network with its prefix length (ipaddress.ip_network's syntax,
# without leading zeros or embedded IPv4). Host bits set under the prefix ("10.0.0.1/8") are
# refused too (core.validation.check_cidrs), which no pattern here states.
CIDR_PATTERN = (
    rf"^(({_IPV4})(/(3[0-2]|[12]?[0-9]))?|({_IPV6})(/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))?)$"
)

# A decimal string above zero with at most 12 significant whole digits and 6 places (a money
# column): leading zeros do not count, as Decimal reads them.
POSITIVE_DECIMAL = r"^(0{0,11}[1-9][0-9]{0,11}(\.[0-9]{0,6})?|0{1,12}\.[0-9]{0,5}[1-9])$"
