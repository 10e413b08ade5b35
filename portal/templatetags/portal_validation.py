"""`outcome_words`: a validation row's outcome in words (tracking.validation.OUTCOMES)."""

from django import template

from tracking.validation import OUTCOMES

register = template.Library()


@register.filter
def outcome_words(outcome: str) -> str:
    return OUTCOMES.get(outcome, outcome)
