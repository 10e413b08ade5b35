"""Judging a conversion: its signals against the rules of its offer, the network's, the defaults.

`fraud_verdict` is the one call attribution makes (tracking/attribution/fraud.py). The worst
action among the rules that fired wins (reject > hold > flag); hosting addresses are only ever
flagged by default. The verdict carries everything a manager needs to see why: every signal's
value, each fired rule with its threshold and where it came from, and the rule set's version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fraud.models import FraudAction, FraudRule, FraudRuleChange
from fraud.signals import REGISTRY, SignalContext, SignalValue, fires, signals_compute

SEVERITY = {FraudAction.FLAG: 1, FraudAction.HOLD: 2, FraudAction.REJECT: 3}


@dataclass(frozen=True)
class EffectiveRule:
    signal: str
    threshold: Any
    action: str
    source: str  # "default", "network" or "offer"
    rule_id: int | None = None
    enabled: bool = True


@dataclass
class RuleBook:
    """The rules in force for a batch's offers, read once, and the version they make."""

    version: int
    network: dict[str, FraudRule] = field(default_factory=dict)
    by_offer: dict[int, dict[str, FraudRule]] = field(default_factory=dict)
    _memo: dict[tuple[int, str], EffectiveRule | None] = field(default_factory=dict)

    def rule_for(self, *, offer_id: int, signal: str) -> EffectiveRule | None:
        key = (offer_id, signal)
        if key not in self._memo:
            self._memo[key] = self._rule_for(offer_id=offer_id, signal=signal)
        return self._memo[key]

    def _rule_for(self, *, offer_id: int, signal: str) -> EffectiveRule | None:
        row = self.by_offer.get(offer_id, {}).get(signal)
        source = "offer"
        if row is None:
            row, source = self.network.get(signal), "network"
        if row is not None:
            return EffectiveRule(signal, row.threshold, row.action, source, row.pk, row.enabled)
        spec = REGISTRY.get(signal)
        if spec is None:
            return None
        return EffectiveRule(signal, spec.threshold, spec.action, "default")


def rulebook_load(*, offer_ids: Iterable[int]) -> RuleBook:
    version = FraudRuleChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
    book = RuleBook(version=version)
    for row in FraudRule.objects.filter(offer__isnull=True):
        book.network[row.signal] = row
    for row in FraudRule.objects.filter(offer_id__in=list(offer_ids)):
        book.by_offer.setdefault(row.offer_id, {})[row.signal] = row
    return book


@dataclass(frozen=True)
class Verdict:
    action: str | None  # None: no rule fired
    reason_code: str  # the code partners see ("" when nothing beyond a flag)
    signals: dict[str, SignalValue]
    fired: list[dict[str, Any]]
    version: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "reason_code": self.reason_code,
            "signals": self.signals,
            "fired": self.fired,
            "rules_version": self.version,
        }

    def explanation(self) -> dict[str, Any]:
        """The conversion's explanation entry (managers read it; tracking/explanations.py keeps
        it from partners)."""
        detail = ", ".join(
            f"{item['signal']}={item['value']} (>= {item['threshold']}, {item['action']}, "
            f"{item['source']} rule)"
            for item in self.fired
        )
        return {
            "check": "fraud",
            "ok": self.action is None or self.action == FraudAction.FLAG,
            "detail": detail or "no rule fired",
            "action": self.action,
            "reason_code": self.reason_code,
            "signals": self.signals,
            "fired": self.fired,
            "rules_version": self.version,
        }


def fraud_verdict(*, ctx: SignalContext, book: RuleBook) -> Verdict:
    """Compute the conversion's signals and judge them together with its click's."""
    values: dict[str, SignalValue] = dict(ctx.click.signals)
    if not values:
        # A click stored before its signals existed (or still in the buffer): what can be told
        # without its batch (the bot flag, the address's network) is told now. The ingester
        # leaves out None and False, so a missing one on a scored click is one of those.
        values.update(signals_compute(stage="click", ctx=ctx))
    values.update(signals_compute(stage="conversion", ctx=ctx))
    if "seconds" in ctx.facts:
        values["click_to_conversion_seconds"] = ctx.facts["seconds"]  # evidence, no rule
    offer_id = ctx.click.offer_id
    fired: list[dict[str, Any]] = []
    worst: tuple[int, str, str] | None = None
    for name in sorted(values):
        rule = book.rule_for(offer_id=offer_id, signal=name)
        if rule is None or not rule.enabled or not fires(values[name], rule.threshold):
            continue
        fired.append(
            {
                "signal": name,
                "value": values[name],
                "threshold": rule.threshold,
                "action": rule.action,
                "source": rule.source,
                "rule_id": rule.rule_id,
            }
        )
        severity = SEVERITY[FraudAction(rule.action)]
        if worst is None or severity > worst[0]:
            worst = (
                severity,
                rule.action,
                REGISTRY[name].reason_code if name in REGISTRY else name,
            )
    action = worst[1] if worst else None
    code = worst[2] if worst and worst[1] != FraudAction.FLAG else ""
    return Verdict(
        action=action, reason_code=code, signals=values, fired=fired, version=book.version
    )


def click_signals_action(*, signals: dict[str, SignalValue], offer_id: int, book: RuleBook) -> str:
    """The worst action the rules in force take on a click's stored signals alone ("" when
    none fires). The daily traffic booking pays no click held or rejected here: a click pixel
    carries no credential, so its signals are all the evidence there is."""
    worst = 0
    action = ""
    for name, value in signals.items():
        rule = book.rule_for(offer_id=offer_id, signal=name)
        if rule is None or not rule.enabled or not fires(value, rule.threshold):
            continue
        severity = SEVERITY[FraudAction(rule.action)]
        if severity > worst:
            worst, action = severity, str(rule.action)
    return action
