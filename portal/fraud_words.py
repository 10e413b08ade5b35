"""A conversion's fraud verdict in words for the manager's review queue: each signal's value
said plainly, with what the signal measures (fraud.signals.REGISTRY) and, for those that fired,
the rule's threshold, action and where the rule comes from (offer, network or default)."""

from __future__ import annotations

from typing import Any

from fraud.signals import REGISTRY

SOURCES = {"offer": "this offer's rule", "network": "the network's rule", "default": "default"}
ACTIONS = {"flag": "flagged", "hold": "held for review", "reject": "rejected"}
EXTRA = {"click_to_conversion_seconds": "seconds from the click to the conversion"}


def _value(name: str, value: Any) -> str:
    if value is None:
        return "not enough data"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, float) and (name.endswith("_share") or name.endswith("_rate")):
        return f"{value * 100:.0f}%"
    if name == "sub_id_anomaly":
        return f"{value} times the publisher's rate"
    if name == "click_to_conversion_seconds":
        return f"{value} s"
    if value == "unknown":
        return "unknown (no ASN database loaded)"
    return str(value).replace("_", " ")


def signals_in_words(fraud: dict[str, Any] | None) -> list[dict[str, Any]]:
    """[{name, what, value, fired, rule}], the signals that fired first, then the others that
    say something (no None or False), by name."""
    fraud = fraud or {}
    fired = {item.get("signal"): item for item in fraud.get("fired") or []}
    rows = []
    for name, value in (fraud.get("signals") or {}).items():
        spec = REGISTRY.get(name)
        rule = fired.get(name)
        if rule is None and (value is None or value is False):
            continue
        rows.append(
            {
                "name": name,
                "what": spec.description if spec else EXTRA.get(name, ""),
                "value": _value(name, value),
                "fired": rule is not None,
                "rule": (
                    f"{ACTIONS.get(rule.get('action'), rule.get('action'))} at "
                    f"{_value(name, rule.get('threshold'))} or more "
                    f"({SOURCES.get(rule.get('source'), rule.get('source'))})"
                )
                if rule
                else "",
            }
        )
    rows.sort(key=lambda row: (not row["fired"], row["name"]))
    return rows
