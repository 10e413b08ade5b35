"""goal_resolve: a callback's goal by ref or id; odd digits from rows already in the inbox (a
superscript two, a 40-digit number) name no goal instead of failing the attribution batch."""

from offers.models import Goal
from tracking.attribution.decide import goal_resolve


def goals() -> list[Goal]:
    return [Goal(pk=2, ref="sale", is_default=True), Goal(pk=7, ref="lead")]


def test_a_goal_is_found_by_ref_by_id_or_as_the_default():
    assert goal_resolve(goals=goals(), wanted="lead").pk == 7
    assert goal_resolve(goals=goals(), wanted="7").ref == "lead"
    assert goal_resolve(goals=goals(), wanted="").ref == "sale"


def test_digits_that_are_not_a_plain_id_name_no_goal():
    assert goal_resolve(goals=goals(), wanted="\u00b2") is None
    assert goal_resolve(goals=goals(), wanted="7" * 40) is None
    assert goal_resolve(goals=goals(), wanted="\u0667") is None  # Arabic-Indic seven
