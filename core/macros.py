"""URL macros: the `{name}` placeholders in offer URLs and publisher postback templates."""

import re
from collections.abc import Mapping
from urllib.parse import quote

MACRO_PATTERN = re.compile(r"\{([a-zA-Z0-9_]+)\}")

# Filled on the click redirect (offer landing and fallback URLs). Aliases map to one value.
CLICK_MACRO_ALIASES = {
    "click_id": "click_id",
    "transaction_id": "click_id",
    "offer_id": "offer_id",
    "affiliate_id": "affiliate_id",
    "sub1": "sub1",
    "sub2": "sub2",
    "sub3": "sub3",
    "sub4": "sub4",
    "sub5": "sub5",
    "aff_sub": "sub1",
    "aff_sub2": "sub2",
    "aff_sub3": "sub3",
    "aff_sub4": "sub4",
    "aff_sub5": "sub5",
    "source": "source",
    "country": "country",
    "device": "device",
}
CLICK_MACROS = frozenset(CLICK_MACRO_ALIASES)

# Filled in publisher postbacks.
POSTBACK_MACRO_ALIASES = {
    **{
        name: target
        for name, target in CLICK_MACRO_ALIASES.items()
        if name not in {"country", "device", "affiliate_id"}
    },
    "goal": "goal",
    "payout": "payout",
    "currency": "currency",
    "conversion_id": "conversion_id",
    "status": "status",
    "sale_amount": "sale_amount",
    "event_time": "event_time",
    # "1" when the conversion is a test one (a sandbox link's click), else "0".
    "is_test": "is_test",
}
POSTBACK_MACROS = frozenset(POSTBACK_MACRO_ALIASES)


def macros_unknown(template: str, known: frozenset[str]) -> list[str]:
    """Macro names in `template` that are not in `known`, in order of appearance."""
    return [name for name in MACRO_PATTERN.findall(template) if name not in known]


def macros_fill(template: str, values: Mapping[str, str], aliases: Mapping[str, str]) -> str:
    """Replace each known macro with its URL-encoded value (empty when missing).

    Values are percent-encoded with no safe characters, so a value can never add a path,
    query parameter or scheme to the URL it lands in.
    """

    def replace(match: re.Match[str]) -> str:
        target = aliases.get(match.group(1))
        if target is None:
            return match.group(0)
        return quote(str(values.get(target, "") or ""), safe="")

    return MACRO_PATTERN.sub(replace, template)
