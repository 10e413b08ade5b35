"""A smart-link click explained: which offer was chosen, by which rule, and why each other
candidate was not eligible.

The redirect keeps its decision on the click in a compact text (Click.smart_choice, written by
tracking/clicks/smart.py SmartChoice.text: `rule:how|offer:reason:epc|...`); this reads it back
as a structure for the click's API answer. Nothing is looked up again: the figures are those
the redirect saw in its cached snapshot when the visitor came.
"""

from typing import Any

from tracking.clicks.smart import (
    BEST_EPC,
    CAPPED,
    EXPLORE,
    EXPLORE_PERCENT,
    NONE_ELIGIBLE,
    SMART_LINK_OFF,
    WEIGHTED,
)

HOW_IN_WORDS = {
    BEST_EPC: "The eligible offer with the highest recent EPC (rule epc)",
    EXPLORE: (
        f"This visitor explores (rule epc: {EXPLORE_PERCENT}% of visitors, by a hash of the "
        "visitor): a weighted pick among the eligible offers"
    ),
    WEIGHTED: "A weighted pick among the eligible offers, sticky per visitor (rule weighted)",
    NONE_ELIGIBLE: "No offer was eligible: the smart link's fallback",
    SMART_LINK_OFF: "The smart link is switched off: its fallback",
}
# Why a candidate was not eligible: the redirect's own reason codes (Click.Reason), plus
# `capped`, a redirect cap found reached when the snapshot was built.
REASON_IN_WORDS = {
    CAPPED: "A cap of the offer was reached",
    "offer_inactive": "The offer (or its advertiser) is not active",
    "publisher_inactive": "The publisher is not active",
    "not_allowed": "The publisher may not run the offer",
    "country": "The visitor's country is not targeted",
    "region": "The visitor's region is not targeted",
    "region_unknown": "The offer targets regions and the visitor's is unknown",
    "device": "The visitor's device is not targeted",
    "os": "The visitor's operating system is not targeted",
    "browser": "The visitor's browser is not targeted",
    "language": "The visitor's language is not targeted",
    "schedule": "Outside the offer's schedule (day-parting)",
    "not_started": "The offer has not started yet",
    "ended": "The offer has ended",
    "funds_exhausted": "The advertiser's funds are exhausted",
    "budget_reached": "The offer's budget is reached",
}


def smart_choice_explain(*, text: str, offer_id: int, with_epc: bool) -> dict[str, Any] | None:
    """The decision kept on a click (`text`), whose offer is `offer_id`; None when the click
    did not come through a smart link (or came before decisions were kept). `with_epc`: the
    candidates' EPCs (network-wide figures: staff only); else each `epc` is null."""
    if not text:
        return None
    head, *rows = text.split("|")
    rule, _, how = head.partition(":")
    chosen = offer_id if how not in (NONE_ELIGIBLE, SMART_LINK_OFF) else None
    candidates = []
    for row in rows:
        offer, _, rest = row.partition(":")
        reason, _, epc = rest.partition(":")
        if not offer.isascii() or not offer.isdigit():
            continue
        candidates.append(
            {
                "offer_id": int(offer),
                "eligible": not reason,
                "chosen": int(offer) == chosen,
                "reason": reason,
                "reason_in_words": REASON_IN_WORDS.get(reason, reason) if reason else "",
                "epc": epc if with_epc else None,
            }
        )
    return {
        "rule": rule,
        "how": how,
        "how_in_words": HOW_IN_WORDS.get(how, how),
        "chosen_offer_id": chosen,
        "candidates": candidates,
    }
