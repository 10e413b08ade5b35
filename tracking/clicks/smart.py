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
from decimal import Decimal

from tracking.clicks.variants import variant_pick

EXPLORE_PERCENT = 10


def smart_pick(
    *,
    candidates: list[list],
    rule: str,
    visitor: str,
    reason_of: Callable[[dict], str],
) -> dict | None:
    """The chosen candidate's snapshot dict, or None when no candidate is eligible."""
    eligible = [
        (index, candidate)
        for index, candidate in enumerate(candidates)
        if not candidate[3] and not reason_of(candidate[0])
    ]
    if not eligible:
        return None
    if rule == "epc" and not _explores(visitor):
        _, best = max(
            eligible,
            key=lambda item: (Decimal(item[1][2]), int(item[1][1]), -item[0]),
        )
        return best[0]
    picked = variant_pick(
        variants=[[index, candidate[1], candidate[0]] for index, candidate in eligible],
        key=f"sl|{visitor}",
    )
    return picked[2] if picked is not None else None


def _explores(visitor: str) -> bool:
    digest = hashlib.blake2b(f"explore|{visitor}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 100 < EXPLORE_PERCENT
