"""Finding a click by its id, for attribution.

The click path may still hold a click in its buffer (production: a Redis stream) when the
callback arrives. `click_find` answers from PostgreSQL; the click-path code extends it to look in
the buffer too, so attribution has one place to ask.
"""

from tracking.models import Click


def click_find(*, click_id: str) -> Click | None:
    return Click.objects.filter(click_id=click_id).first()
