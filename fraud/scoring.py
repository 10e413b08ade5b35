"""Scoring a batch of clicks: the click-stage signals the ingester stores on each click."""

from __future__ import annotations

from collections.abc import Sequence

from fraud.counters import click_counts, sub_clicks_add
from fraud.signals import ClickFacts, SignalContext, SignalValue, signals_compute


def click_signals_compute(*, clicks: Sequence[ClickFacts]) -> list[dict[str, SignalValue]]:
    """Each click's click-stage signals, in order: one Redis pipeline for the whole batch."""
    counts = click_counts(clicks=clicks)
    sub_clicks_add(clicks=clicks)
    return [
        signals_compute(stage="click", ctx=SignalContext(click=click, facts=found))
        for click, found in zip(clicks, counts, strict=True)
    ]
