"""Scoring a batch of clicks: the click-stage signals the ingester stores on each click."""

from __future__ import annotations

from collections.abc import Sequence

from fraud.counters import click_counts, sub_clicks_add
from fraud.signals import ClickFacts, SignalContext, SignalValue, signals_compute


def click_signals_compute(
    *, clicks: Sequence[ClickFacts], uncounted: frozenset[str] = frozenset()
) -> list[dict[str, SignalValue]]:
    """Each click's click-stage signals, in order: one Redis pipeline for the whole batch.
    Clicks named in `uncounted` (test clicks) are scored but added to no counter."""
    counts = click_counts(clicks=clicks, uncounted=uncounted)
    sub_clicks_add(clicks=[click for click in clicks if click.click_id not in uncounted])
    # None and False are not stored (about half of a click row's signal bytes): a missing
    # click signal is computed again at attribution, where it is None or False again.
    return [
        {
            name: value
            for name, value in signals_compute(
                stage="click", ctx=SignalContext(click=click, facts=found)
            ).items()
            if value is not None and value is not False
        }
        for click, found in zip(clicks, counts, strict=True)
    ]
