"""The test of significance every A/B test of the network uses (landing pages, creatives).

Pearson's chi-square test of independence (scipy.stats.chi2_contingency; with Yates'
continuity correction when there are two arms, as scipy does by default) on the table of
converted and not-converted clicks per arm: a p-value under ALPHA says the arms' conversion
rates differ; with any expected cell under MIN_EXPECTED the result is flagged as unreliable.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import chi2_contingency

ALPHA = 0.05
MIN_EXPECTED = 5
TEST_NAME = "Pearson chi-square test of independence (scipy.stats.chi2_contingency)"


@dataclass(frozen=True)
class Significance:
    chi2: float | None
    p_value: float | None
    significant: bool  # p_value under ALPHA
    reliable: bool  # every expected cell at least MIN_EXPECTED


def conversion_rates_compare(arms: Sequence[tuple[int, int]]) -> Significance:
    """`arms`: (converted clicks, clicks) per arm. Arms without clicks are left out; with fewer
    than two left, or when no click (or every click) converted, there is nothing to compare and
    every figure is None."""
    table = [[converted, clicks - converted] for converted, clicks in arms if clicks]
    if len(table) < 2 or not all(sum(column) for column in zip(*table, strict=True)):
        return Significance(None, None, significant=False, reliable=False)
    outcome = chi2_contingency(table)
    p_value = float(outcome.pvalue)
    return Significance(
        chi2=float(outcome.statistic),
        p_value=p_value,
        significant=p_value < ALPHA,
        reliable=bool((outcome.expected_freq >= MIN_EXPECTED).all()),
    )
