"""Choosing a smart link's offer for a visitor, from the cached snapshot only (no round trip).

The snapshot (tracking/clicks/resolve.py) lists each candidate offer as [its link snapshot as a
dict, weight, recent EPC as text, capped when built]. A candidate is eligible when nothing in
its own snapshot turns the visitor away (redirect.click_reason: status, access, hold,
schedule, country, region, device, OS, browser, language) and none of its redirect caps was
found reached when the snapshot was built. A cap reached since is still caught by the durable
append, which then sends the visitor to that offer's fallback (cap_reached), as on any link.

`weighted`: weighted rendezvous hashing of the visitor (variants.variant_pick), sticky.
`epc`: epsilon-greedy, sticky: a visitor whose hash falls in the first EXPLORE_PERCENT explores
(the weighted pick among eligible offers); every other visitor goes to the eligible offer of
highest EPC (ties: the higher weight, then the earlier listed).
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from tracking.clicks.variants import variant_pick

EXPLORE_PERCENT = 10
# How the offer was chosen, recorded on the click (Click.smart_choice).
BEST_EPC = "best_epc"  # `epc`: the eligible offer of highest recent EPC
EXPLORE = "explore"  # `epc`: this visitor explores (weighted pick among the eligible)
WEIGHTED = "weighted"  # `weighted`: the weighted pick among the eligible
NONE_ELIGIBLE = "none"  # no offer eligible: the smart link's fallback
SMART_LINK_OFF = "off"  # the smart link is switched off: its fallback, no candidate looked at
CAPPED = "capped"  # a candidate's redirect cap was found reached when the snapshot was built


@dataclass(frozen=True)
class SmartChoice:
    """A smart link's decision for one visitor: the chosen candidate's snapshot dict (None: no
    offer eligible), how it was chosen, and every candidate as (offer id, why it was not
    eligible or "" when it was, its recent EPC as text)."""

    chosen: dict | None
    rule: str
    how: str
    candidates: tuple[tuple[int, str, str], ...]

    def text(self) -> str:
        """The compact form kept on the click: `rule:how|offer:reason:epc|...` (reason empty
        when the offer was eligible); read back by tracking.smart_link_explain."""
        parts = [f"{self.rule}:{self.how}"]
        parts += [f"{offer}:{reason}:{epc}" for offer, reason, epc in self.candidates]
        return "|".join(parts)


def smart_pick(
    *,
    candidates: list[list],
    rule: str,
    visitor: str,
    reason_of: Callable[[dict], str],
) -> SmartChoice:
    """The choice for this visitor, with why each candidate was or was not eligible."""
    reasons = [CAPPED if candidate[3] else reason_of(candidate[0]) for candidate in candidates]
    listed = tuple(
        (int(candidate[0].get("offer_id") or 0), reason, str(candidate[2]))
        for candidate, reason in zip(candidates, reasons, strict=True)
    )
    eligible = [
        (index, candidate)
        for index, (candidate, reason) in enumerate(zip(candidates, reasons, strict=True))
        if not reason
    ]
    if not eligible:
        return SmartChoice(chosen=None, rule=rule, how=NONE_ELIGIBLE, candidates=listed)
    if rule == "epc" and not _explores(visitor):
        _, best = max(
            eligible,
            key=lambda item: (Decimal(item[1][2]), int(item[1][1]), -item[0]),
        )
        return SmartChoice(chosen=best[0], rule=rule, how=BEST_EPC, candidates=listed)
    picked = variant_pick(
        variants=[[index, candidate[1], candidate[0]] for index, candidate in eligible],
        key=f"sl|{visitor}",
    )
    return SmartChoice(
        chosen=picked[2] if picked is not None else None,
        rule=rule,
        how=(EXPLORE if rule == "epc" else WEIGHTED) if picked is not None else NONE_ELIGIBLE,
        candidates=listed,
    )


def _explores(visitor: str) -> bool:
    digest = hashlib.blake2b(f"explore|{visitor}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 100 < EXPLORE_PERCENT
