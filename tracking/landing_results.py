"""How each landing variant of an A/B test did: clicks, conversions, CR, EPC, and whether the
difference in conversion rate is more than chance.

The test of significance is the network's one for every A/B test (core/ab_stats.py, shared
with creative tests): Pearson's chi-square test of independence (scipy.stats.chi2_contingency;
with Yates' continuity correction when there are two variants) on the table of converted and
not-converted clicks per variant: a p-value under ALPHA says the variants' conversion rates
differ; with any expected cell under 5 the test is flagged as unreliable.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from core.ab_stats import TEST_NAME, conversion_rates_compare
from core.money import money_round
from offers.landing import LandingTest, LandingVariant
from offers.models import Goal
from tracking.models import Click, Conversion

COUNTED = (Conversion.Status.PENDING, Conversion.Status.APPROVED)


@dataclass(frozen=True)
class VariantResult:
    variant_id: int
    name: str
    url: str
    weight: int
    is_active: bool
    clicks: int
    conversions: int
    cr: Decimal  # converted clicks per click, percent
    payout: Decimal
    revenue: Decimal
    epc: Decimal  # the publishers' earnings per click
    revenue_per_click: Decimal


@dataclass(frozen=True)
class TestResult:
    test_id: int
    offer_id: int
    goal_id: int | None
    status: str
    currency: str
    variants: list[VariantResult]
    test: str  # which test of significance
    chi2: float | None
    p_value: float | None
    significant: bool
    reliable: bool  # every expected cell at least 5 (core.ab_stats)
    leader_id: int | None  # the variant with the highest CR


def _ratio(numerator: Decimal | int, denominator: int, places: str = "0.0001") -> Decimal:
    if not denominator:
        return Decimal("0")
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places))


def landing_test_results(*, test: LandingTest) -> TestResult:
    offer = test.offer
    goal_id = test.goal_id or (
        Goal.objects.filter(offer_id=offer.id, is_default=True).values_list("id", flat=True).first()
    )
    since = test.started_at
    until = test.ended_at or timezone.now()
    variants = list(LandingVariant.objects.filter(offer_id=offer.id).order_by("id"))
    clicks = dict(
        Click.objects.filter(
            offer_id=offer.id,
            created_at__gte=since,
            created_at__lte=until,
            landing_variant_id__isnull=False,
            is_bot=False,
        )
        .values_list("landing_variant_id")
        .annotate(n=Count("id"))
    )
    variant_of_click = Click.objects.filter(
        click_id=OuterRef("click_id"), created_at=OuterRef("click_created_at")
    ).values("landing_variant_id")[:1]
    conversions = {
        row["variant"]: row
        for row in Conversion.objects.filter(
            Q(goal_id=goal_id) if goal_id else Q(),
            offer_id=offer.id,
            status__in=COUNTED,
            click_created_at__gte=since,
            click_created_at__lte=until,
        )
        .annotate(variant=Subquery(variant_of_click))
        .exclude(variant__isnull=True)
        .values("variant")
        .annotate(
            converted=Count("click_id", distinct=True),
            payout_sum=Sum("payout"),
            revenue_sum=Sum("revenue"),
        )
    }
    results = []
    for variant in variants:
        n = clicks.get(variant.id, 0)
        row = conversions.get(variant.id, {})
        converted = min(row.get("converted", 0), n)
        payout = row.get("payout_sum") or Decimal("0")
        revenue = row.get("revenue_sum") or Decimal("0")
        results.append(
            VariantResult(
                variant_id=variant.id,
                name=variant.name,
                url=variant.url,
                weight=variant.weight,
                is_active=variant.is_active,
                clicks=n,
                conversions=converted,
                cr=_ratio(converted * 100, n, "0.01"),
                payout=money_round(payout, offer.currency),
                revenue=money_round(revenue, offer.currency),
                epc=_ratio(payout, n),
                revenue_per_click=_ratio(revenue, n),
            )
        )
    significance = conversion_rates_compare(
        [(result.conversions, result.clicks) for result in results]
    )
    with_clicks = [result for result in results if result.clicks]
    leader = max(with_clicks, key=lambda result: result.cr, default=None)
    return TestResult(
        test_id=test.id,
        offer_id=offer.id,
        goal_id=goal_id,
        status=test.status,
        currency=offer.currency,
        variants=results,
        test=TEST_NAME,
        chi2=significance.chi2,
        p_value=significance.p_value,
        significant=significance.significant,
        reliable=significance.reliable,
        leader_id=leader.variant_id if leader else None,
    )
