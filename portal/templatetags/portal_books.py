"""Words for the books' codes: why a batch held a publisher out, a period's state."""

from django import template

register = template.Library()

HELD_REASONS = {
    "publisher_suspended": "publisher suspended",
    "publisher_banned": "publisher banned",
    "payout_details_unverified": "payout details never confirmed by a second person",
    "payout_details_changed": "payout details changed recently",
    "tax_form_missing": "no tax form on file",
    "tax_form_pending": "tax form waiting for finance's review",
    "tax_form_rejected": "tax form rejected; a new one is needed",
    "tax_form_expired": "tax form expired; a new one is needed",
}


@register.filter
def held_reason(code: str) -> str:
    return HELD_REASONS.get(code, code.replace("_", " "))
