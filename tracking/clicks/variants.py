"""Picking an offer's landing variant for a visitor, from the link snapshot only.

Weighted rendezvous hashing: every variant scores the visitor key (address, user agent, offer)
by its own hash, scaled by its weight, and the best score wins. No storage and no round trip,
the same visitor gets the same variant for as long as the variants stay as they are (so for the
repeat window and beyond), and a change of one variant's weight only moves visitors to or from
that variant: the others keep theirs.
"""

import hashlib
import math
from collections.abc import Sequence

# The snapshot's variants: [variant id, weight, normalised URL], in id order, active and of
# positive weight only.
Variant = Sequence

_SCALE = float(1 << 64)


def visitor_key(*, ip: str, user_agent: str, offer_id: int) -> str:
    return f"lp|{ip}|{user_agent}|{offer_id}"


def variant_pick(*, variants: Sequence[Variant], key: str) -> Variant | None:
    """The variant for `key`, each chosen with probability weight / total; None without any."""
    best: Variant | None = None
    best_score = math.inf
    for variant in variants:
        weight = int(variant[1])
        if weight <= 0:
            continue
        digest = hashlib.blake2b(f"{key}|{variant[0]}".encode(), digest_size=8).digest()
        # A uniform draw in (0, 1] from the hash; -ln(u) / w is exponential with rate w, and the
        # least of such draws falls on each variant with probability w / total.
        uniform = (int.from_bytes(digest, "big") + 1) / _SCALE
        score = -math.log(uniform) / weight
        if score < best_score:
            best, best_score = variant, score
    return best
