"""The signal registry: each signal's name, how its value is computed and its default rule.

A signal is computed off the redirect: `click` signals by the click ingester (stored on the
click, and seen again by every conversion of that click), `conversion` signals by attribution
(stored on the conversion). Other modules register theirs with `@signal(...)`:

    @signal("hosting_network", stage="click", threshold="hosting", action="flag",
            description="the click's address belongs to a hosting network")
    def hosting_network(ctx: SignalContext) -> str: ...

A rule fires when the value reaches its threshold: numbers fire at `value >= threshold`,
strings at `value == threshold`, booleans at `value is True` (threshold True). A value of
None (not computable: too little volume, no address) never fires.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

SignalValue = float | int | str | bool | None
Stage = Literal["click", "conversion"]
ACTIONS = ("flag", "hold", "reject")


@dataclass(frozen=True)
class ClickFacts:
    """What a signal may read of a click (a plain copy, so signals never touch tracking's rows)."""

    click_id: str
    created_at: dt.datetime
    offer_id: int
    publisher_id: int
    ip: str | None = None
    user_agent: str = ""
    country: str = ""
    device: str = ""
    sub1: str = ""
    source: str = ""
    is_bot: bool = False
    signals: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConversionFacts:
    """What a signal may read of a conversion being attributed (before it is written)."""

    offer_id: int
    publisher_id: int
    advertiser_id: int
    goal_id: int
    created_at: dt.datetime
    callback_ip: str | None = None
    sub1: str = ""
    source: str = ""


@dataclass(frozen=True)
class SignalContext:
    """One click (and its conversion, at attribution) with what its batch prepared.

    `facts` holds the counts a batch fetched at once (Redis windows, per-publisher rates), so a
    signal's function is a cheap read, never a round trip per click.
    """

    click: ClickFacts
    conversion: ConversionFacts | None = None
    now: dt.datetime | None = None
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SignalSpec:
    name: str
    stage: Stage
    compute: Callable[[SignalContext], SignalValue]
    threshold: float | int | str | bool
    action: str
    description: str
    code: str = ""  # the reason code a reject or hold shows; default fraud_<name>

    @property
    def reason_code(self) -> str:
        return self.code or f"fraud_{self.name}"[:48]


REGISTRY: dict[str, SignalSpec] = {}
_BY_STAGE: dict[str, tuple[tuple[str, Callable[[SignalContext], SignalValue]], ...]] = {}


def signal(
    name: str,
    *,
    stage: Stage,
    threshold: float | int | str | bool,
    action: str,
    description: str,
    code: str = "",
) -> Callable[[Callable[[SignalContext], SignalValue]], Callable[[SignalContext], SignalValue]]:
    """Register a signal with its network default rule (threshold and action)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")

    def register(
        fn: Callable[[SignalContext], SignalValue],
    ) -> Callable[[SignalContext], SignalValue]:
        if name in REGISTRY and REGISTRY[name].compute is not fn:
            raise ValueError(f"signal {name!r} registered twice")
        REGISTRY[name] = SignalSpec(name, stage, fn, threshold, action, description, code)
        _BY_STAGE.clear()
        return fn

    return register


def fires(value: SignalValue, threshold: float | int | str | bool) -> bool:
    if value is None:
        return False
    if isinstance(threshold, bool):
        return value is threshold
    if isinstance(threshold, str):
        return value == threshold
    if isinstance(value, bool | str):
        return False
    return value >= threshold


def signals_compute(*, stage: Stage, ctx: SignalContext) -> dict[str, SignalValue]:
    """Every registered signal of `stage` for this context, by name (None: not computable)."""
    computes = _BY_STAGE.get(stage)
    if computes is None:  # the registry's signals of a stage, listed once per registration
        computes = _BY_STAGE[stage] = tuple(
            (name, spec.compute) for name, spec in REGISTRY.items() if spec.stage == stage
        )
    return {name: compute(ctx) for name, compute in computes}
