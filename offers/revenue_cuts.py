"""Revenue-cut requests: an advertiser asks the network to lower what it pays on a goal of a
live offer (or to change its kind), which the money policy leaves to a manager
(`revenue_not_cut_live`, accounts/policy.py).

Imported by offers/models.py, so Django registers it with this app. The services are in
offers/revenue_cut_services.py: a manager's approval writes the proposed figures through
`terms_update`, so it applies to new conversions only (each conversion keeps the terms frozen at
attribution) and the terms' own audit entry names the manager.
"""

from django.db import models
from django.db.models import F, Q

from core.decisions import TwoPersonRequest
from core.fields import money_field, percent_field


class RevenueCutRequest(TwoPersonRequest):
    """One advertiser's request to set a goal's revenue lower (or of another kind).

    `was_*` are the goal's revenue terms when it was asked: a manager approves what the
    advertiser saw, so a request whose terms moved since is stale and refused. The currency is
    the offer's and never changes here. A newer request for the same goal withdraws the pending
    one (one pending per goal, held by the database).
    """

    class State(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        WITHDRAWN = "withdrawn"  # by the advertiser, or replaced by its newer request

    offer = models.ForeignKey(
        "offers.Offer", on_delete=models.CASCADE, related_name="revenue_cut_requests"
    )
    goal = models.ForeignKey(
        "offers.Goal", on_delete=models.CASCADE, related_name="revenue_cut_requests"
    )
    currency = models.CharField(max_length=3)
    revenue_kind = models.CharField(max_length=24)
    revenue_amount = money_field(default=0)
    revenue_percent = percent_field(default=0)
    was_revenue_kind = models.CharField(max_length=24)
    was_revenue_amount = money_field(default=0)
    was_revenue_percent = percent_field(default=0)
    reason = models.TextField(blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    rejection_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["goal"],
                condition=Q(state="pending"),
                name="revenue_cut_request_one_pending_per_goal",
            ),
            models.CheckConstraint(
                name="revenue_cut_request_decision_is_stamped",
                condition=Q(state="pending", decided_at__isnull=True, decided_by__isnull=True)
                | Q(
                    state__in=["approved", "rejected", "withdrawn"],
                    decided_at__isnull=False,
                    decided_by__isnull=False,
                ),
            ),
            models.CheckConstraint(
                name="revenue_cut_request_approver_is_not_requester",
                condition=~Q(state="approved", decided_by=F("requested_by")),
            ),
            models.CheckConstraint(
                name="revenue_cut_request_rejection_has_a_reason",
                condition=~Q(state="rejected", rejection_reason=""),
            ),
            models.CheckConstraint(
                name="revenue_cut_request_figures_valid",
                condition=Q(revenue_amount__gte=0, was_revenue_amount__gte=0)
                & Q(revenue_percent__gte=0, revenue_percent__lte=100)
                & Q(was_revenue_percent__gte=0, was_revenue_percent__lte=100),
            ),
        ]

    def __str__(self) -> str:
        return f"Revenue cut request {self.id} for goal {self.goal_id} ({self.state})"
