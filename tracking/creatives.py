"""Creatives as publishers use them, and how each one did.

A publisher gets each creative's code with its own tracking link filled in, the link carrying
`creative=<id>` so the click records it (tracking/clicks/redirect.py checks the id against the
link snapshot). The results split an offer's clicks and conversions by that recorded creative.
"""

import html
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, Subquery, Sum

from accounts.models import Role, User
from accounts.selectors import user_role
from core.money import money_round
from offers.creative_services import (
    LINK_PLACEHOLDER,
    creative_html_sanitise,
    creative_image_src,
)
from offers.creatives import Creative
from offers.models import Offer
from tracking.links import link_get_or_create, link_impression_url, link_url
from tracking.models import Click, Conversion

COUNTED = (Conversion.Status.PENDING, Conversion.Status.APPROVED)


def creative_click_url(*, creative: Creative, publisher_id: int) -> str:
    """The publisher's link to the creative's offer (minted on first use), naming the creative."""
    link = link_get_or_create(offer_id=creative.offer_id, publisher_id=publisher_id)
    return f"{link_url(link)}?creative={creative.id}"


def creative_impression_url(*, creative: Creative, publisher_id: int) -> str:
    link = link_get_or_create(offer_id=creative.offer_id, publisher_id=publisher_id)
    return link_impression_url(link)


def creative_code(*, creative: Creative, click_url: str) -> str:
    """The HTML a publisher pastes: the creative linking to `click_url`. Every value is
    escaped; an HTML snippet is sanitised again here, then its placeholder filled."""
    href = html.escape(click_url, quote=True)
    if creative.kind == Creative.Kind.BANNER:
        size = "".join(
            f' {name}="{value}"'
            for name, value in (("width", creative.width), ("height", creative.height))
            if value
        )
        return (
            f'<a href="{href}" rel="sponsored noopener" target="_blank">'
            f'<img src="{html.escape(creative_image_src(creative), quote=True)}"{size} '
            f'alt="{html.escape(creative.name, quote=True)}"></a>'
        )
    if creative.kind == Creative.Kind.TEXT:
        return (
            f'<a href="{href}" rel="sponsored noopener" target="_blank">'
            f"{html.escape(creative.text)}</a>"
        )
    return creative_html_sanitise(creative.html).replace(LINK_PLACEHOLDER, href)


@dataclass(frozen=True)
class CreativeResult:
    creative_id: int
    name: str
    kind: str
    clicks: int  # non-bot clicks naming the creative
    unique_clicks: int
    conversions: int  # pending and approved
    payout: Decimal | None  # None: hidden from the caller's role
    revenue: Decimal | None
    epc: Decimal | None  # the publishers' earnings per click
    currency: str


def _per_click(amount: Decimal, clicks: int) -> Decimal:
    if not clicks:
        return Decimal("0")
    return (amount / clicks).quantize(Decimal("0.0001"))


def creative_results(
    *, user: User, offer: Offer, date_from: date, date_to: date
) -> list[CreativeResult]:
    """Clicks, conversions and money per creative of `offer`, clicks made from `date_from` to
    `date_to` (UTC days, inclusive). A publisher reads its own clicks and payout only, an
    advertiser its revenue only (reports.metrics.HIDDEN_FROM's rule)."""
    role = user_role(user)
    since = datetime.combine(date_from, time.min, tzinfo=UTC)
    until = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
    mine = Q(publisher_id=user.publisher_id) if role == Role.PUBLISHER else Q()
    clicks = {
        row["creative_id"]: row
        for row in Click.objects.filter(
            mine,
            offer_id=offer.id,
            created_at__gte=since,
            created_at__lt=until,
            creative_id__isnull=False,
            is_bot=False,
        )
        .values("creative_id")
        .annotate(n=Count("id"), unique=Count("id", filter=Q(is_unique=True)))
    }
    creative_of_click = Click.objects.filter(
        click_id=OuterRef("click_id"), created_at=OuterRef("click_created_at")
    ).values("creative_id")[:1]
    conversions = {
        row["creative"]: row
        for row in Conversion.objects.filter(
            mine,
            offer_id=offer.id,
            status__in=COUNTED,
            click_created_at__gte=since,
            click_created_at__lt=until,
        )
        .annotate(creative=Subquery(creative_of_click))
        .exclude(creative__isnull=True)
        .values("creative")
        .annotate(n=Count("id"), payout_sum=Sum("payout"), revenue_sum=Sum("revenue"))
    }
    creatives = Creative.objects.filter(offer_id=offer.id).order_by("id")
    if role == Role.PUBLISHER:
        creatives = creatives.filter(Q(approved=True) | Q(id__in=list(clicks)))
    results = []
    for creative in creatives:
        click_row = clicks.get(creative.id, {})
        row = conversions.get(creative.id, {})
        n = click_row.get("n", 0)
        payout = money_round(row.get("payout_sum") or Decimal("0"), offer.currency)
        revenue = money_round(row.get("revenue_sum") or Decimal("0"), offer.currency)
        results.append(
            CreativeResult(
                creative_id=creative.id,
                name=creative.name,
                kind=creative.kind,
                clicks=n,
                unique_clicks=click_row.get("unique", 0),
                conversions=row.get("n", 0),
                payout=None if role == Role.ADVERTISER else payout,
                revenue=None if role == Role.PUBLISHER else revenue,
                epc=None if role == Role.ADVERTISER else _per_click(payout, n),
                currency=offer.currency,
            )
        )
    return results
