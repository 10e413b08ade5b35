"""Recent EPC of offers, for smart links' `epc` rule: read when a smart link's snapshot is
built (every CLICK_LINK_CACHE_SECONDS at most), never per click.

EPC is the offer's approved payout over its clicks in the last EPC_DAYS UTC days, network-wide
(every publisher's traffic: more evidence than one publisher's), from the daily offer rollup
(conversions by click time, so the payout is that of those clicks). Amounts stay in the offer's
currency; a smart link's offers share one currency (tracking/smart_links.py), so they compare.
"""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from reports.models import OfferDay

EPC_DAYS = 7
_MICROS = Decimal("1000000")


def smart_link_epcs(*, offer_ids: list[int]) -> dict[int, Decimal]:
    """offer id -> payout per click (4 places); offers without clicks are absent."""
    if not offer_ids:
        return {}
    since = timezone.now().date() - timedelta(days=EPC_DAYS - 1)
    rows = (
        OfferDay.objects.filter(offer_id__in=offer_ids, day__gte=since)
        .values("offer_id")
        .annotate(clicks=Sum("clicks"), payout=Sum("ct_payout_micros"))
    )
    return {
        row["offer_id"]: (Decimal(row["payout"] or 0) / _MICROS / row["clicks"]).quantize(
            Decimal("0.0001")
        )
        for row in rows
        if row["clicks"]
    }
