"""An offer's finer targeting and schedule in words, for lists (portal/targeting_forms.py)."""

from django import template

from offers.models import Offer
from portal.targeting_forms import targeting_words

register = template.Library()


@register.filter
def targeting_in_words(offer: Offer) -> str:
    """E.g. "Android, iOS; speaking German; Mon-Fri 09:00-17:00 (Europe/Berlin)", or ""."""
    return "; ".join(targeting_words(getattr(offer, "targeting", None)))
