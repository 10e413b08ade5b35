"""Landing variants, A/B tests and finer targeting: the writes and reads of offers/landing.py.

The redirect sees a change within CLICK_LINK_CACHE_SECONDS (the link snapshot is rebuilt from
these rows; tracking/clicks/resolve.py), so nothing here signals the cache.
"""

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.policy import Action, policy_require
from core.errors import DomainError
from core.macros import CLICK_MACROS
from core.validation import Problems, check_url
from offers.landing import LandingTest, LandingVariant, OfferTargeting
from offers.models import Goal, Offer
from offers.selectors import offers_visible_to

REGION_PATTERN = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")
# The names tracking/clicks/agents.py gives, lower case.
OSES = frozenset({"windows", "ios", "macos", "android", "chromeos", "linux", "other"})
BROWSERS = frozenset(
    {
        "edge",
        "opera",
        "samsung internet",
        "yandex",
        "firefox",
        "chrome",
        "safari",
        "internet explorer",
        "other",
    }
)


def landing_variants_visible_to(*, user: User) -> QuerySet[LandingVariant]:
    return LandingVariant.objects.filter(offer__in=offers_visible_to(user=user)).select_related(
        "offer"
    )


def landing_tests_visible_to(*, user: User) -> QuerySet[LandingTest]:
    return LandingTest.objects.filter(offer__in=offers_visible_to(user=user))


def offer_targetings_visible_to(*, user: User) -> QuerySet[OfferTargeting]:
    return OfferTargeting.objects.filter(offer__in=offers_visible_to(user=user))


def landing_variant_save(*, variant: LandingVariant, fields: Mapping[str, Any]) -> LandingVariant:
    for name, value in fields.items():
        setattr(variant, name, value)
    problems = Problems()
    check_url(problems, "url", variant.url, known_macros=CLICK_MACROS, required=True)
    problems.raise_if_any()
    try:
        with transaction.atomic():
            variant.save()
    except IntegrityError as exc:
        raise DomainError.for_field(
            "name", "duplicate", "This offer already has a variant of that name."
        ) from exc
    return variant


def landing_test_start(*, offer: Offer, goal: Goal | None) -> LandingTest:
    """Start an A/B test of the offer's active variants (at least two) on `goal`."""
    if goal is not None and goal.offer_id != offer.id:
        raise DomainError.for_field("goal", "wrong_offer", "The goal is not one of this offer's.")
    live = LandingVariant.objects.filter(offer=offer, is_active=True, weight__gt=0).count()
    if live < 2:
        raise DomainError(
            "too_few_variants", "An A/B test needs at least two active variants of some weight."
        )
    try:
        with transaction.atomic():
            return LandingTest.objects.create(offer=offer, goal=goal)
    except IntegrityError as exc:
        raise DomainError("test_running", "This offer already has an A/B test running.") from exc


@transaction.atomic
def landing_test_end(*, test: LandingTest, winner: LandingVariant, actor: User) -> LandingTest:
    """End a running test and promote `winner`: its URL becomes the offer's landing URL and
    every variant of the offer is switched off, so each visitor goes to the winner."""
    policy_require(
        action=Action.LANDING_TEST_END,
        user=actor,
        facts={"advertiser_id": test.offer.advertiser_id},
    )
    claimed = LandingTest.objects.filter(id=test.id, status=LandingTest.Status.RUNNING)
    if winner.offer_id != test.offer_id:
        raise DomainError.for_field("winner", "wrong_offer", "The winner is not this offer's.")
    now = timezone.now()
    # A conditional update: of two managers ending the same test at once, one wins.
    if not claimed.update(
        status=LandingTest.Status.ENDED, ended_at=now, winner=winner, ended_by=actor
    ):
        raise DomainError("test_not_running", "This A/B test has already ended.", status_code=409)
    Offer.objects.filter(id=test.offer_id).update(landing_url=winner.url, updated_at=now)
    LandingVariant.objects.filter(offer_id=test.offer_id).update(is_active=False)
    test.refresh_from_db()
    return test


def offer_targeting_check(fields: Mapping[str, Any]) -> None:
    def refuse(field: str, message: str) -> None:
        raise DomainError.for_field(field, "invalid", message)

    for name, known in (("oses", OSES), ("browsers", BROWSERS)):
        unknown = {str(item).lower() for item in fields.get(name) or []} - known
        if unknown:
            refuse(name, f"Unknown {name}: {', '.join(sorted(unknown))}.")
    for region in fields.get("regions") or []:
        # ASCII: str.upper() makes two letters of some other scripts' ("ﬀ" is "FF").
        ok = isinstance(region, str) and region.isascii()
        if not (ok and REGION_PATTERN.fullmatch(region.upper())):
            refuse("regions", "Regions are ISO 3166-2 codes such as US-CA or DE-BY.")
    for language in fields.get("languages") or []:
        # ASCII letters: str.isalpha() is true of every script's.
        ok = isinstance(language, str) and language.isascii() and language.isalpha()
        if not (ok and 2 <= len(language) <= 8):
            refuse("languages", "Languages are primary subtags such as en or de.")
    zone = fields.get("time_zone", "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        refuse("time_zone", f"Unknown time zone {zone!r}.")
    hours = fields.get("hours") or {}
    if not isinstance(hours, dict):
        refuse("hours", "Hours map weekdays 0 (Monday) to 6 to lists of hours 0-23.")
    for day, listed in hours.items():
        if str(day) not in {"0", "1", "2", "3", "4", "5", "6"} or not isinstance(listed, list):
            refuse("hours", "Hours map weekdays 0 (Monday) to 6 to lists of hours 0-23.")
        if not all(isinstance(hour, int) and 0 <= hour <= 23 for hour in listed):
            refuse("hours", "Hours are whole numbers 0 to 23.")
    starts_at: datetime | None = fields.get("starts_at")
    ends_at: datetime | None = fields.get("ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        refuse("ends_at", "The end must come after the start.")


_TARGETING_DEFAULTS: dict[str, Any] = {
    "oses": [],
    "browsers": [],
    "languages": [],
    "regions": [],
    "time_zone": "UTC",
    "hours": {},
    "starts_at": None,
    "ends_at": None,
}


def offer_targeting_set(*, offer: Offer, fields: Mapping[str, Any]) -> OfferTargeting:
    """Create or change the offer's finer targeting and schedule (fields not given are kept)."""
    current = OfferTargeting.objects.filter(offer=offer).first()
    merged = {
        name: getattr(current, name) if current else default
        for name, default in _TARGETING_DEFAULTS.items()
    }
    merged.update(fields)
    offer_targeting_check(merged)
    for name in ("oses", "browsers", "languages"):
        merged[name] = sorted({str(item).lower() for item in merged[name] or []})
    merged["regions"] = sorted({str(item).upper() for item in merged["regions"] or []})
    merged["hours"] = {str(day): sorted(set(hours)) for day, hours in merged["hours"].items()}
    targeting, _ = OfferTargeting.objects.update_or_create(offer=offer, defaults=merged)
    return targeting
