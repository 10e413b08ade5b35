"""A/B tests of creatives (offers/creative_tests.py): who sees them, starting and ending one.

The rules follow the landing page tests' (offers/landing_services.py): managers and the offer's
own advertiser start a test; ending it, which promotes the winner, is a policy action
(creative_test.end, managers). The redirect and the rotating code see a change within
CLICK_LINK_CACHE_SECONDS (the link snapshot is rebuilt from these rows), so nothing here
signals the cache.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from accounts.policy import Action, policy_require
from accounts.selectors import user_role
from core.errors import DomainError, ForbiddenError
from offers.creative_services import CREATIVE_SHOWN
from offers.creative_tests import CreativeTest, CreativeTestArm
from offers.creatives import Creative
from offers.models import Goal, Offer
from offers.selectors import offers_runnable_by, offers_visible_to

MAX_ARMS = 10
# Tests of an offer the rotating code still answers for (the latest, by id): an ended test's
# code keeps showing its winner, until this many newer tests of the offer push it out.
LIVE_TESTS = 20


@dataclass(frozen=True)
class ArmAsked:
    creative: Creative
    weight: int


def creative_tests_visible_to(*, user: User) -> QuerySet[CreativeTest]:
    """Staff: all. An advertiser: its offers'. A publisher: the tests of offers it may run
    (for their rotating code; never anyone's results but its own)."""
    if user_role(user) == Role.PUBLISHER:
        if not user.publisher_id:
            return CreativeTest.objects.none()
        offers = offers_runnable_by(publisher=user.publisher).values("id")
    else:
        offers = offers_visible_to(user=user).values("id")
    return CreativeTest.objects.filter(offer__in=offers).prefetch_related("arms")


def creative_test_start(
    *, offer: Offer, name: str, goal: Goal | None, arms: Sequence[ArmAsked], actor: User
) -> CreativeTest:
    """Start a test of `arms` (two or more of the offer's approved, live creatives, each with
    a weight) on `goal`. Managers, and the offer's own advertiser."""
    role = user_role(actor)
    if role not in (Role.MANAGER, Role.ADVERTISER):
        raise ForbiddenError("forbidden", "Your role may not start creative tests.")
    if role == Role.ADVERTISER and offer.advertiser_id != actor.advertiser_id:
        raise ForbiddenError("forbidden", "Only the offer's own creatives.")
    if goal is not None and goal.offer_id != offer.id:
        raise DomainError.for_field("goal", "wrong_offer", "The goal is not one of this offer's.")
    if not 2 <= len(arms) <= MAX_ARMS:
        raise DomainError.for_field(
            "arms", "too_few_arms", f"A test needs 2 to {MAX_ARMS} creatives."
        )
    ids = [arm.creative.id for arm in arms]
    if len(set(ids)) != len(ids):
        raise DomainError.for_field("arms", "duplicate", "Each creative at most once.")
    if any(arm.creative.offer_id != offer.id for arm in arms):
        raise DomainError.for_field(
            "arms", "wrong_offer", "Every creative must be one of this offer's."
        )
    live = set(Creative.objects.filter(CREATIVE_SHOWN, id__in=ids).values_list("id", flat=True))
    if live != set(ids):
        raise DomainError.for_field(
            "arms",
            "not_approved",
            "Every creative must be approved and active (a banner with its image).",
        )
    if any(not 1 <= arm.weight <= 1_000_000 for arm in arms):
        raise DomainError.for_field("arms", "invalid", "Weights are 1 to 1,000,000.")
    try:
        with transaction.atomic():
            test = CreativeTest.objects.create(offer=offer, name=name, goal=goal, created_by=actor)
            for arm in arms:
                CreativeTestArm.objects.create(test=test, creative=arm.creative, weight=arm.weight)
    except IntegrityError as exc:
        raise DomainError.for_field(
            "name", "duplicate", "This offer already has a creative test of that name."
        ) from exc
    return test


@transaction.atomic
def creative_test_end(*, test: CreativeTest, winner: Creative, actor: User) -> CreativeTest:
    """End a running test and promote `winner` (one of its active arms): every other arm is
    switched off for the test, so its rotating code shows the winner to every visitor."""
    policy_require(
        action=Action.CREATIVE_TEST_END,
        user=actor,
        facts={"advertiser_id": test.offer.advertiser_id},
    )
    # Locked and saved (not a bare UPDATE), so the audit log records who ended it for which
    # winner; of two managers ending the same test at once, the second finds it ended.
    locked = CreativeTest.objects.select_for_update().get(id=test.id)
    if locked.status != CreativeTest.Status.RUNNING:
        raise DomainError(
            "test_not_running", "This creative test has already ended.", status_code=409
        )
    if not CreativeTestArm.objects.filter(test=test, creative=winner, is_active=True).exists():
        raise DomainError.for_field("winner", "not_in_test", "The winner is not in this test.")
    locked.status = CreativeTest.Status.ENDED
    locked.ended_at = timezone.now()
    locked.winner = winner
    locked.ended_by = actor
    locked.save(update_fields=["status", "ended_at", "winner", "ended_by"])
    for arm in CreativeTestArm.objects.filter(test=test, is_active=True).exclude(creative=winner):
        arm.is_active = False
        arm.save(update_fields=["is_active"])  # one audited change per arm switched off
    test.refresh_from_db()
    return test


def creative_test_arms_live(*, offer_id: int) -> list[tuple[int, list[tuple[Creative, int]]]]:
    """For the link snapshot: the offer's latest LIVE_TESTS tests, newest first, each with its
    active arms whose creative is still shown (approved, active, a banner with its image), as
    (creative, weight). A test left with no such arm is left out."""
    tests = list(
        CreativeTest.objects.filter(offer_id=offer_id)
        .order_by("-id")
        .values_list("id", flat=True)[:LIVE_TESTS]
    )
    if not tests:
        return []
    arms: dict[int, list[tuple[Creative, int]]] = {test_id: [] for test_id in tests}
    for arm in (
        CreativeTestArm.objects.filter(Q(test_id__in=tests), is_active=True)
        .filter(creative__in=Creative.objects.filter(CREATIVE_SHOWN))
        .select_related("creative")
        .order_by("id")
    ):
        arms[arm.test_id].append((arm.creative, arm.weight))
    return [(test_id, listed) for test_id, listed in arms.items() if listed]
