"""Who asked, who decided and when: the columns every two-person request and stamped decision
shares, declared once.

`actor_field` is the user who did something (PROTECT: the books keep who did what, so a user
with stamps is deactivated, never deleted); `TwoPersonRequest` is the abstract model of a
request that waits for a second person (payouts.AdjustmentRequest, payouts.LineFailureRequest,
affiliates.PayoutDetailsChange). The fields are exactly the ones those models declared, so no
migration follows from them (`makemigrations --check`). The user model is named by its setting,
a string: core imports no app. Models import this module, so it imports no more than Django's
models (core/decision_locks.py, for services, locks a pending request).
"""

from django.conf import settings
from django.db import models


def actor_field(*, optional: bool = False) -> models.ForeignKey:
    """A user who acted (requested, decided, validated, closed); `optional` until it happens."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=optional,
        blank=optional,
        on_delete=models.PROTECT,
        related_name="+",
    )


class TwoPersonRequest(models.Model):
    """A request one user makes and another decides. The concrete model adds its `state`
    (choices with PENDING = "pending") and its constraints (the decider is not the requester,
    a decision is stamped)."""

    requested_by = actor_field()
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = actor_field(optional=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    state: str

    class Meta:
        abstract = True
