"""Editing fraud rules: every change asks the money policy and is logged (its id the version)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.policy import Action, policy_require
from core.errors import DomainError
from fraud.models import FraudAction, FraudRule, FraudRuleChange
from fraud.signals import REGISTRY


def _state(rule: FraudRule | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {"threshold": rule.threshold, "action": rule.action, "enabled": rule.enabled}


def _validate(*, signal: str, threshold: Any, action: str) -> None:
    spec = REGISTRY.get(signal)
    if spec is None:
        known = ", ".join(sorted(REGISTRY))
        raise DomainError.for_field("signal", "unknown_signal", f"Unknown signal; one of {known}.")
    if action not in FraudAction.values:
        raise DomainError.for_field("action", "invalid_action", "One of flag, hold, reject.")
    default = spec.threshold
    same_kind = (
        isinstance(threshold, bool)
        if isinstance(default, bool)
        else isinstance(threshold, str)
        if isinstance(default, str)
        else isinstance(threshold, int | float) and not isinstance(threshold, bool)
    )
    if not same_kind:
        raise DomainError.for_field(
            "threshold",
            "invalid_threshold",
            f"A {type(default).__name__} like the default ({default!r}).",
        )


def _log(*, rule: FraudRule, before: dict | None, after: dict | None, actor: Any) -> None:
    FraudRuleChange.objects.create(
        rule_id=rule.pk,
        offer_id=rule.offer_id,
        signal=rule.signal,
        before=before,
        after=after,
        actor_id=actor.pk,
    )


def fraud_rule_create(*, fields: dict[str, Any], actor: Any) -> FraudRule:
    policy_require(action=Action.FRAUD_RULE_EDIT, user=actor)
    _validate(signal=fields["signal"], threshold=fields["threshold"], action=fields["action"])
    with transaction.atomic():
        if FraudRule.objects.filter(offer=fields.get("offer"), signal=fields["signal"]).exists():
            raise DomainError(
                "duplicate", "This signal already has a rule for this offer.", status_code=409
            )
        rule = FraudRule.objects.create(**fields, updated_by=actor)
        _log(rule=rule, before=None, after=_state(rule), actor=actor)
    return rule


def fraud_rule_update(*, rule: FraudRule, fields: dict[str, Any], actor: Any) -> FraudRule:
    """Applies to conversions attributed from now on; those judged before keep their verdict
    and the rule set version they were judged by."""
    policy_require(action=Action.FRAUD_RULE_EDIT, user=actor)
    with transaction.atomic():
        rule = FraudRule.objects.select_for_update().get(pk=rule.pk)
        before = _state(rule)
        for name in ("threshold", "action", "enabled"):
            if name in fields:
                setattr(rule, name, fields[name])
        _validate(signal=rule.signal, threshold=rule.threshold, action=rule.action)
        rule.updated_by = actor
        rule.save()
        _log(rule=rule, before=before, after=_state(rule), actor=actor)
    return rule


def fraud_rule_delete(*, rule: FraudRule, actor: Any) -> None:
    """The offer falls back to the network's rule, the network to the signal's default."""
    policy_require(action=Action.FRAUD_RULE_EDIT, user=actor)
    with transaction.atomic():
        _log(rule=rule, before=_state(rule), after=None, actor=actor)
        rule.delete()
