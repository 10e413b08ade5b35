"""What a conversion's explanation may tell each reader.

The explanation (a list of checks written by tracking/attribution/decide.py and the manual
actions) is for the network first: it names publisher overrides, payout caps and their limits.
An advertiser reads it to know why a conversion was decided so, but never learns what a
publisher is paid, so its view drops what would tell: override ids and the terms' source, every
entry about a cap counting payout, and the ids of the caps a conversion passed (one of them may
be a payout cap). Of the fraud verdict it sees the reason code of a rejection only; publishers
see no explanation, only the conversion's reason code.
"""

from collections.abc import Iterable
from typing import Any

# Keys that name what the publisher is paid or where that figure came from.
PAYOUT_KEYS = frozenset({"override_id", "source", "payout", "payout_kind", "payout_amount"})
CAP_CHECKS = frozenset({"cap", "cap_override"})


def _mentions_payout_cap(step: dict[str, Any]) -> bool:
    if "payout" in step.get("metrics", ()):
        return True
    return "(payout " in str(step.get("detail", ""))


def explanation_for_advertiser(explanation: Iterable[dict[str, Any]] | None) -> list[dict]:
    shown = []
    for step in explanation or ():
        if not isinstance(step, dict):
            continue
        if step.get("check") == "fraud":
            # The evidence (signal values, thresholds) is the network's: an advertiser learns
            # only the reason code of a rejection, nothing of a flag or a hold.
            if step.get("action") == "reject":
                shown.append({"check": "fraud", "ok": False, "reason_code": step["reason_code"]})
            continue
        if step.get("check") in CAP_CHECKS:
            if _mentions_payout_cap(step):
                continue
            step = {key: value for key, value in step.items() if key not in ("caps", "metrics")}
            if step.get("ok") and step.get("check") == "cap":
                step.pop("detail", None)  # the ids of every cap it passed
        shown.append({key: value for key, value in step.items() if key not in PAYOUT_KEYS})
    return shown
