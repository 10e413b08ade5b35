"""Request-body rules the OpenAPI schema states, for fields that answer as well as read.

A rule a service keeps on its input (an http(s) URL with known macros, an ISO code, a positive
limit) belongs in the schema of the request body, so a client or fuzzer knows it before the API
refuses. It must not touch the answer's schema: a stored row may predate the rule, or read back
in a form the rule would not take as input ("0.473100" for a limit, "" for an optional URL), and
an answer that breaks its own schema is a bug of its own. drf-spectacular splits every body into
a request and a response component (COMPONENT_SPLIT_REQUEST), so a field class carrying
`request_schema` (`RequestRule`) adds it to the request side only (`RequestRuleExtension`).

Each pattern below accepts exactly what its service accepts (core.validation), both ways, so a
schema-valid body is not refused for it and a schema-invalid one is not taken.
"""

import re
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from core.validation import CIDR_PATTERN, URL_HOST_CHARS, URL_REFUSED_CHARS


class RequestRule:
    """Mixed into a serializer field class: `request_schema` is merged into the field's schema
    where it is read (a request body), never where it is answered."""

    request_schema: dict[str, Any] = {}


class RequestRuleExtension(OpenApiSerializerFieldExtension):
    target_class = RequestRule
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and schema is not None:
            # A key the rule sets to None is dropped (an enum's id when the rule narrows it).
            merged = {**schema, **self.target.request_schema}
            schema = {key: value for key, value in merged.items() if value is not None}
        return schema


def with_request_rule(field: serializers.Field, schema: dict[str, Any]) -> serializers.Field:
    """`field` as it is, its request schema stating `schema` too (a rule its service keeps)."""
    # On a subclass of the field's own class: a serializer deep-copies its declared fields by
    # building them anew from their class and arguments.
    cls = type(field)
    field.__class__ = type(cls.__name__, (RequestRule, cls), {"request_schema": schema})
    return field


def url_pattern(macros: frozenset[str]) -> str:
    """core.validation.check_url's rule as a pattern: http(s), a host of printable ASCII (no
    brackets), no whitespace or control character anywhere, no `{name}` but the known macros.
    (Where the field may be blank, drf-spectacular adds "" as a second `oneOf` branch.)"""
    rest = f"[^{URL_REFUSED_CHARS}]"
    if not macros:
        # No lookahead here: schemathesis cannot fold a maxLength into one (the in-suite run
        # failed to generate a creative's image_url). Braces are left out instead, which the
        # check allows unless they name a word: stricter by a lone brace only.
        host = URL_HOST_CHARS.replace(r"\x5e-\x7e", r"\x5e-\x7a\x7c\x7e")
        return rf"^[hH][tT][tT][pP][sS]?://[{host}]+([/?#][^{URL_REFUSED_CHARS}{{}}]*)?$"
    known = "|".join(re.escape(name) for name in sorted(macros))
    unknown_macro = rf"\{{(?!({known})\}})[A-Za-z0-9_]+\}}"
    return rf"^(?!.*{unknown_macro})[hH][tT][tT][pP][sS]?://[{URL_HOST_CHARS}]+([/?#]{rest}*)?$"


class HttpUrlField(RequestRule, serializers.CharField):
    """A URL a redirect, pixel or browser will follow. The service checks it (bad_url,
    unknown_macro: core.validation.check_url); the request schema states the same rule."""

    def __init__(self, *, macros: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        said = ""
        if macros:
            said = "Known macros: " + ", ".join("{" + name + "}" for name in sorted(macros)) + "."
        # Per instance: the macros (and whether it may be blank) differ by field.
        self.request_schema = {
            "pattern": url_pattern(macros),
            **({"description": said} if said else {}),
        }


class CidrField(RequestRule, serializers.CharField):
    """An address or network (203.0.113.0/24, 2001:db8::/32), as core.validation.check_cidrs
    takes it; that no host bits are set under the prefix (10.0.0.1/8) no pattern says."""

    request_schema = {"pattern": CIDR_PATTERN, "example": "203.0.113.0/24"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(trim_whitespace=False, **kwargs)


# A decimal string above zero with at most 12 whole digits and 6 places (a cap's limit column),
# trailing zeros allowed ("0.500000"); leading zeros do not count, as Decimal reads them.
POSITIVE_DECIMAL = r"^(?![0.]*$)0*([1-9][0-9]{0,11})?(\.[0-9]{0,6})?$"
