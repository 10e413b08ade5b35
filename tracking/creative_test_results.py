"""How each creative of a creative A/B test did: clicks, conversions, CR, EPC, and whether the
difference in conversion rate is more than chance (core/ab_stats.py, the test landing page
tests use too).

Counted: the non-bot clicks that came through the test's rotating code (Click.creative_test_id,
with the creative shown in Click.creative_id) from the test's start to its end (or now), and
their pending and approved conversions on the test's goal (the offer's default goal when the
test names none). A click of the same creative through its own code is not the test's.
A publisher reads its own clicks only and no revenue; an advertiser no payout or EPC
(reports.metrics' rule: advertisers never see payouts).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import user_role
from core.ab_stats import TEST_NAME, conversion_rates_compare
from core.money import money_round
from offers.creative_tests import CreativeTest, CreativeTestArm
from offers.models import Goal
from tracking.models import Click, Conversion

COUNTED = (Conversion.Status.PENDING, Conversion.Status.APPROVED)


@dataclass(frozen=True)
class ArmResult:
    creative_id: int
    name: str
    kind: str
    weight: int
    is_active: bool  # still shown by the test
    clicks: int
    conversions: int  # converted clicks
    cr: Decimal  # converted clicks per click, percent
    payout: Decimal | None  # None: hidden from the caller's role
    revenue: Decimal | None
    epc: Decimal | None  # the publishers' earnings per click
    revenue_per_click: Decimal | None


@dataclass(frozen=True)
class CreativeTestResult:
    test_id: int
    offer_id: int
    goal_id: int | None
    status: str
    currency: str
    arms: list[ArmResult]
    test: str  # which test of significance
    chi2: float | None
    p_value: float | None
    significant: bool
    reliable: bool
    leader_id: int | None  # the creative with the highest CR
    winner_id: int | None  # the creative promoted when the test ended


def _ratio(numerator: Decimal | int, denominator: int, places: str = "0.0001") -> Decimal:
    if not denominator:
        return Decimal("0")
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places))


def creative_test_results(*, test: CreativeTest, user: User) -> CreativeTestResult:
    role = user_role(user)
    offer = test.offer
    goal_id = test.goal_id or (
        Goal.objects.filter(offer_id=offer.id, is_default=True).values_list("id", flat=True).first()
    )
    since = test.started_at
    until = test.ended_at or timezone.now()
    mine = Q(publisher_id=user.publisher_id) if role == Role.PUBLISHER else Q()
    clicks = dict(
        Click.objects.filter(
            mine,
            offer_id=offer.id,
            creative_test_id=test.id,
            created_at__gte=since,
            created_at__lte=until,
            is_bot=False,
        )
        .values_list("creative_id")
        .annotate(n=Count("id"))
    )
    shown = Click.objects.filter(
        click_id=OuterRef("click_id"),
        created_at=OuterRef("click_created_at"),
        creative_test_id=test.id,
        is_bot=False,
    ).values("creative_id")[:1]
    conversions = {
        row["shown"]: row
        for row in Conversion.objects.filter(
            mine,
            Q(goal_id=goal_id) if goal_id else Q(),
            offer_id=offer.id,
            status__in=COUNTED,
            click_created_at__gte=since,
            click_created_at__lte=until,
        )
        .annotate(shown=Subquery(shown))
        .exclude(shown__isnull=True)
        .values("shown")
        .annotate(
            converted=Count("click_id", distinct=True),
            payout_sum=Sum("payout"),
            revenue_sum=Sum("revenue"),
        )
    }
    arms = []
    for arm in CreativeTestArm.objects.filter(test=test).select_related("creative").order_by("id"):
        n = clicks.get(arm.creative_id, 0)
        row = conversions.get(arm.creative_id, {})
        converted = min(row.get("converted", 0), n)
        payout = money_round(row.get("payout_sum") or Decimal("0"), offer.currency)
        revenue = money_round(row.get("revenue_sum") or Decimal("0"), offer.currency)
        arms.append(
            ArmResult(
                creative_id=arm.creative_id,
                name=arm.creative.name,
                kind=arm.creative.kind,
                weight=arm.weight,
                is_active=arm.is_active,
                clicks=n,
                conversions=converted,
                cr=_ratio(converted * 100, n, "0.01"),
                payout=None if role == Role.ADVERTISER else payout,
                revenue=None if role == Role.PUBLISHER else revenue,
                epc=None if role == Role.ADVERTISER else _ratio(payout, n),
                revenue_per_click=None if role == Role.PUBLISHER else _ratio(revenue, n),
            )
        )
    significance = conversion_rates_compare([(arm.conversions, arm.clicks) for arm in arms])
    leader = max((arm for arm in arms if arm.clicks), key=lambda arm: arm.cr, default=None)
    return CreativeTestResult(
        test_id=test.id,
        offer_id=offer.id,
        goal_id=goal_id,
        status=test.status,
        currency=offer.currency,
        arms=arms,
        test=TEST_NAME,
        chi2=significance.chi2,
        p_value=significance.p_value,
        significant=significance.significant,
        reliable=significance.reliable,
        leader_id=leader.creative_id if leader else None,
        winner_id=test.winner_id,
    )
