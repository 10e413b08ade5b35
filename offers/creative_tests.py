"""A/B tests of an offer's creatives: one rotating code, several creatives behind it.

Imported by offers/models.py, so Django registers them with this app. The redirect and the
rotating code's image/frame route read a test's arms from the link snapshot
(tracking/clicks/creative_tests.py), never per request.
"""

from django.db import models
from django.db.models import Q


class CreativeTest(models.Model):
    """A test of two or more of an offer's approved creatives on a goal (the offer's default
    goal when empty). Publishers paste one code for the test; each visitor is shown one arm,
    picked by weight from a hash of the visitor (sticky, no cookie), and the click records the
    creative shown and this test. Ending it promotes the winner: every other arm is switched off
    for the test, so the code shows the winner to everyone from then on."""

    class Status(models.TextChoices):
        RUNNING = "running"
        ENDED = "ended"

    offer = models.ForeignKey(
        "offers.Offer", on_delete=models.CASCADE, related_name="creative_tests"
    )
    name = models.CharField(max_length=100)
    goal = models.ForeignKey(
        "offers.Goal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    winner = models.ForeignKey(
        "offers.Creative", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "name"], name="creative_test_name_unique"),
            models.CheckConstraint(
                name="creative_test_ended_has_winner",
                condition=Q(status="running")
                | (Q(winner__isnull=False) & Q(ended_at__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id}:{self.name}"


class CreativeTestArm(models.Model):
    """One creative of a test with its weight. `is_active` false: no longer shown by the test
    (the losers once the test has ended); the creative itself is untouched."""

    test = models.ForeignKey(CreativeTest, on_delete=models.CASCADE, related_name="arms")
    creative = models.ForeignKey("offers.Creative", on_delete=models.PROTECT, related_name="+")
    weight = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["test", "creative"], name="creative_test_arm_unique"),
            models.CheckConstraint(
                name="creative_test_arm_weight_bounded",
                condition=Q(weight__gte=1) & Q(weight__lte=1_000_000),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.test_id}:{self.creative_id}"
