"""Where work that follows a write is wired in, called inside the writer's transaction.

Explicit calls rather than signals, so the order is visible here. Each hook's body only calls
other modules' functions; the writers (click ingester, attribution) call the hook once per batch.

Test traffic (sandbox links: tracking/clicks/ids.py, Conversion.is_test) stops here: it earns
nothing per click and reaches no rollup, so reports and rankings never count it.
"""

from datetime import datetime
from functools import partial

from django.conf import settings

from reports.services import (
    rollup_clicks_add,
    rollup_conversion_apply,
    rollup_conversions_apply,
    rollup_impressions_add,
)
from tracking.attribution.cpc import cpc_clicks_earn, cpc_clicks_price
from tracking.caps import cap_click_flags_refresh, cap_flags_refresh_after_commit
from tracking.clicks.ids import click_id_is_test
from tracking.clicks.lookup import clicks_place
from tracking.models import Click, Conversion


def after_clicks_ingested(*, clicks: list[Click]) -> None:
    """Called by the click ingester after a batch of new clicks was inserted (not re-inserts)."""
    clicks = [click for click in clicks if not click_id_is_test(click.click_id)]
    if not clicks:
        return
    cap_click_flags_refresh(clicks=clicks)
    if settings.TRAFFIC_BOOKING != "hourly":
        # CPC money waits for the day to close (tracking/traffic_booking.py).
        rollup_clicks_add(clicks=clicks, stored_in=Click._meta.db_table)
        return
    priced = cpc_clicks_price(clicks=clicks)
    cpc_clicks_earn(clicks=clicks, priced=priced)
    rollup_clicks_add(clicks=clicks, cpc=priced, stored_in=Click._meta.db_table)


def after_conversion_changed(*, conversion: Conversion, previous_status: str | None) -> None:
    """Called after a conversion is created (previous_status None) or changes status/amounts."""
    if conversion.is_test:
        return
    rollup_conversion_apply(
        conversion=conversion,
        previous_status=previous_status,
        places_of=partial(clicks_place, known={}),
    )
    if previous_status is not None:
        cap_flags_refresh_after_commit(conversion=conversion)


def after_conversions_changed(*, conversions: list[Conversion]) -> None:
    """The batch form of after_conversion_changed, for a writer that changed many conversions."""
    conversions = [conversion for conversion in conversions if not conversion.is_test]
    rollup_conversions_apply(conversions=conversions, places_of=partial(clicks_place, known={}))


def after_conversions_created(*, conversions: list[Conversion], clicks: dict[str, Click]) -> None:
    """Called by attribution once per batch with the conversions it inserted and their clicks
    (by click id), as it read them."""
    conversions = [conversion for conversion in conversions if not conversion.is_test]
    rollup_conversions_apply(
        conversions=conversions, places_of=partial(clicks_place, known=clicks), created=True
    )


def after_impressions_counted(*, counts: list[tuple[datetime, int, int, int]]) -> None:
    """Called by the impression flush with what it added: (hour, offer_id, publisher_id, count)."""
    rollup_impressions_add(counts=counts)
