"""Where the redirect may send a visitor, and nowhere else.

The Location is only ever built from the offer's configured landing or fallback URL, the
network's fallback, or a deep link whose host is on the offer's allowlist. Visitor-supplied
values (sub ids, source) only enter through macros, percent-encoded with no safe characters, and
every finished Location is checked again: its host must be exactly the host it was built for.
Anything a browser might read differently from Python (backslashes, whitespace, control
characters, user info, a port) is refused outright rather than cleaned up.
"""

import re
from collections.abc import Collection, Mapping
from functools import lru_cache
from urllib.parse import quote, urlsplit

from django.conf import settings

from core.macros import CLICK_MACRO_ALIASES, MACRO_PATTERN

UNAVAILABLE_PATH = "/offer-unavailable"
# Control characters, space, backslash and non-ASCII: browsers strip, fold or re-interpret them.
_UNSAFE = re.compile(r"[^\x21-\x7e]|\\")


def url_host(url: str) -> str | None:
    """The exact lower-case host of an absolute http(s) URL we are willing to send anyone to;
    None when the URL is anything else."""
    if not url or _UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if "@" in parts.netloc or port is not None or not parts.hostname:
        return None
    if not url.lower().startswith(parts.scheme.lower() + "://"):
        return None  # "https:evil.example" and friends
    return parts.hostname


def deep_link_allowed(url: str, *, allowed_hosts: Collection[str]) -> bool:
    host = url_host(url)
    return host is not None and host in allowed_hosts


@lru_cache(maxsize=4096)
def _template_origin(template: str) -> str | None:
    """ "scheme://host" of a configured URL whose host no macro can change; else None."""
    host = url_host(template)
    if host is None:
        return None
    scheme, _, rest = template.partition("://")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "{" in authority:
        return None  # a macro in the host part: refused, not filled
    return f"{scheme}://{authority}"


@lru_cache(maxsize=4096)
def _template_parts(template: str) -> tuple[tuple[str, str | None], ...]:
    """The template cut into (literal text, macro target or None): filled by a join, the same
    result as macros_fill without a regex pass per click."""
    parts: list[tuple[str, str | None]] = []
    position = 0
    for match in MACRO_PATTERN.finditer(template):
        target = CLICK_MACRO_ALIASES.get(match.group(1))
        if target is None:
            continue  # unknown macros stay as written
        parts.append((template[position : match.start()], target))
        position = match.end()
    parts.append((template[position:], None))
    return tuple(parts)


def _encoded(value: str) -> str:
    # Same rule as macros_fill: percent-encode everything but unreserved characters. Click ids,
    # numbers and country codes are alphanumeric and pass unchanged without a quote() call.
    return value if value.isascii() and value.isalnum() else quote(value, safe="")


def location_fill(template: str, values: Mapping[str, str]) -> str | None:
    """The template with macros filled, if it still points at the template's own host.

    Macro values are percent-encoded with no safe characters, so they cannot add a "/", "?",
    "#", "@" or ":"; the origin check below is a second lock on the same door.
    """
    origin = _template_origin(template)
    if origin is None:
        return None
    filled = "".join(
        literal + (_encoded(values.get(target) or "") if target else "")
        for literal, target in _template_parts(template)
    )
    if not filled.startswith(origin) or filled[len(origin) : len(origin) + 1] not in "/?#":
        return None
    return filled


def network_fallback(values: Mapping[str, str]) -> str:
    configured = settings.CLICK_FALLBACK_URL
    if configured:
        filled = location_fill(configured, values)
        if filled:
            return filled
    return settings.TRACKING_BASE_URL + UNAVAILABLE_PATH
