"""The ledger: append-only money entries per publisher and currency."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from payouts.fields import money_field


class LedgerEntry(models.Model):
    """One money movement for a publisher, signed: what we owe grows with positive amounts.

    earning +, reversal -, adjustment +/-, payment -, payment_failure + (the money comes back).
    Rows are inserted, never updated or deleted; a correction is a new entry. `idempotency_key`
    makes a retried writer a no-op (e.g. ``conversion:42:earning``).
    """

    class Kind(models.TextChoices):
        EARNING = "earning"
        REVERSAL = "reversal"
        ADJUSTMENT = "adjustment"
        PAYMENT = "payment"
        PAYMENT_FAILURE = "payment_failure"

    publisher = models.ForeignKey(
        "affiliates.Publisher", on_delete=models.PROTECT, related_name="ledger_entries"
    )
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = money_field()
    idempotency_key = models.CharField(max_length=128, unique=True)
    conversion = models.ForeignKey(
        "tracking.Conversion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offer_id = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(
                name="ledger_sign_matches_kind",
                condition=Q(kind__in=["earning", "payment_failure"], amount__gte=0)
                | Q(kind__in=["reversal", "payment"], amount__lte=0)
                | Q(kind="adjustment"),
            )
        ]
