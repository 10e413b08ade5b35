"""Rules: what a signal's value makes of a conversion, per offer, with network defaults."""

from django.db import models
from django.db.models import Q


class FraudAction(models.TextChoices):
    FLAG = "flag"  # recorded in the explanation, the conversion goes on as it would
    HOLD = "hold"  # pending, in the managers' review queue
    REJECT = "reject"


class FraudRule(models.Model):
    """A signal's threshold and action for one offer, or for the network (offer NULL).

    An offer's rule beats the network's, which beats the signal's registered default
    (fraud/signals.py). Rules are read when a conversion is attributed; the version of the rule
    set it was judged by (the latest FraudRuleChange id) is kept on the conversion, so an edit
    applies to new conversions only.
    """

    offer = models.ForeignKey(
        "offers.Offer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    signal = models.CharField(max_length=64)
    threshold = models.JSONField()
    action = models.CharField(max_length=8, choices=FraudAction.choices)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "signal"],
                condition=Q(offer__isnull=False),
                name="fraud_rule_one_per_offer_signal",
            ),
            models.UniqueConstraint(
                fields=["signal"],
                condition=Q(offer__isnull=True),
                name="fraud_rule_one_network_per_signal",
            ),
        ]


class FraudRuleChange(models.Model):
    """Append-only record of every rule edit; its id is the rule set's version."""

    rule_id = models.BigIntegerField(null=True)
    offer_id = models.BigIntegerField(null=True)
    signal = models.CharField(max_length=64)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
