"""Publishers, their access to offers, API keys and postback templates."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.decisions import TwoPersonRequest, actor_field
from core.fields import money_field
from core.traffic_types import TrafficType


class Publisher(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        SUSPENDED = "suspended"  # paused: by a manager, a refused sign-up, or the quality check
        # Removed for fraud, for good: its e-mail domains, sign-up address and payout details
        # mark other publishers that share them (fraud/payee_links.py). Managers only
        # (accounts.policy: publisher.ban).
        BANNED = "banned"

    class PayoutMethod(models.TextChoices):
        PAYPAL = "paypal", "PayPal"
        WISE = "wise", "Wise"
        WIRE = "wire", "Bank wire"
        OTHER = "other"

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    payout_currency = models.CharField(max_length=3, default="USD")
    # On: earnings in another currency are converted into payout_currency when booked, at the
    # stored rate of the day (payouts/fx.py), so one balance and one batch per publisher. Off
    # (the default, as before): each offer currency is owed and paid in its own batch.
    convert_earnings = models.BooleanField(default=False, db_default=False)
    minimum_payout = money_field(default=50)
    payout_method = models.CharField(
        max_length=16, choices=PayoutMethod.choices, default=PayoutMethod.PAYPAL
    )
    # Account details for the method (email, IBAN...): shown to finance, managers and the
    # publisher itself. Method and details change only through a confirmed PayoutDetailsChange.
    payout_details = models.JSONField(default=dict, blank=True)
    # When a confirmed change last set method and details: batches hold the publisher out for
    # PAYOUT_DETAILS_COOLDOWN_HOURS after it.
    payout_details_changed_at = models.DateTimeField(null=True, blank=True)
    # Days an earning waits before it can be paid; null takes the network's PAYOUT_HOLD_DAYS.
    hold_days = models.PositiveIntegerField(null=True, blank=True)
    # The address the sign-up came from: publishers sharing one with a banned publisher are
    # linked to it (fraud/payee_links.py).
    signup_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="publisher_minimum_payout_not_negative", condition=Q(minimum_payout__gte=0)
            )
        ]

    def __str__(self) -> str:
        return self.name


class PayoutDetailsChange(TwoPersonRequest):
    """A request to change where a publisher is paid (method and details), and its decision.

    Nothing pays to the new details until another person confirms: finance for a publisher's
    own request, a second finance user for a finance user's (accounts.policy). The old values are
    kept beside the new so the confirmer sees what changes, and the audit keeps both.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        REJECTED = "rejected"
        SUPERSEDED = "superseded"  # a later request for the same publisher replaced it

    publisher = models.ForeignKey(
        Publisher, on_delete=models.PROTECT, related_name="payout_details_changes"
    )
    old_payout_method = models.CharField(max_length=16)
    old_payout_details = models.JSONField(default=dict, blank=True)
    new_payout_method = models.CharField(max_length=16, choices=Publisher.PayoutMethod.choices)
    new_payout_details = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    # Indexed here (the publisher's page lists its changes by date): the only column that
    # differs from TwoPersonRequest's.
    requested_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="payout_details_change_confirmer_is_not_requester",
                condition=~Q(state="confirmed", decided_by=models.F("requested_by")),
            ),
            models.CheckConstraint(
                name="payout_details_change_decision_is_stamped",
                condition=Q(state__in=["pending", "superseded"], decided_at__isnull=True)
                | Q(state__in=["confirmed", "rejected"], decided_at__isnull=False),
            ),
            models.CheckConstraint(
                name="payout_details_change_confirmed_names_its_confirmer",
                condition=~Q(state="confirmed") | Q(decided_by__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["publisher"],
                condition=Q(state="pending"),
                name="payout_details_change_one_pending_per_publisher",
            ),
        ]

    def __str__(self) -> str:
        return f"Payout details change {self.id} for publisher {self.publisher_id} ({self.state})"


class OfferAccess(models.Model):
    """A publisher's request to run an offer that needs approval (or is private), and its answer."""

    class Status(models.TextChoices):
        REQUESTED = "requested"
        APPROVED = "approved"
        REJECTED = "rejected"

    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="accesses")
    offer = models.ForeignKey("offers.Offer", on_delete=models.CASCADE, related_name="accesses")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    message = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "offer accesses"
        constraints = [
            models.UniqueConstraint(
                fields=["publisher", "offer"], name="offer_access_unique_per_publisher"
            )
        ]


class ApiKey(models.Model):
    """A bearer key acting as its user (who belongs to a publisher, an advertiser, or staff).

    The full key is shown once at creation; we keep a visible prefix to find the row and the
    SHA-256 of the whole key to check it. Keys are random 256-bit tokens, so a fast hash is safe.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PostbackTemplate(models.Model):
    """A publisher's own URL that we call when one of its conversions changes."""

    class Scope(models.TextChoices):
        GLOBAL = "global"
        OFFER = "offer"
        GOAL = "goal"

    class Method(models.TextChoices):
        GET = "GET"
        POST = "POST"

    class Event(models.TextChoices):
        APPROVED = "approved"
        PENDING = "pending"
        REJECTED = "rejected"
        REVERSED = "reversed"

    publisher = models.ForeignKey(
        Publisher, on_delete=models.CASCADE, related_name="postback_templates"
    )
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.GLOBAL)
    offer = models.ForeignKey(
        "offers.Offer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    goal = models.ForeignKey(
        "offers.Goal", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    url = models.URLField(max_length=2000)
    method = models.CharField(max_length=4, choices=Method.choices, default=Method.GET)
    events = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="postback_template_scope_matches_target",
                condition=Q(scope="global", offer__isnull=True, goal__isnull=True)
                | Q(scope="offer", offer__isnull=False, goal__isnull=True)
                | Q(scope="goal", goal__isnull=False),
            )
        ]


class TermsAcceptance(models.Model):
    """A publisher's acceptance of one version of an offer's terms: when it asked for access
    (by its user) or was granted it (by the deciding manager or advertiser, on its behalf)."""

    class How(models.TextChoices):
        REQUESTED = "requested"
        GRANTED = "granted"

    publisher = models.ForeignKey(
        Publisher, on_delete=models.PROTECT, related_name="terms_acceptances"
    )
    offer = models.ForeignKey("offers.Offer", on_delete=models.PROTECT, related_name="+")
    terms = models.ForeignKey("offers.OfferTerms", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    how = models.CharField(max_length=16, choices=How.choices)
    accepted_by = actor_field(optional=True)
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["publisher", "terms"], name="terms_acceptance_once_per_version"
            )
        ]


class TrafficSource(models.Model):
    """Where a publisher's traffic comes from, as it declares it. A click naming the source's
    `key` (the `source` parameter) is of its type; the offer's terms say whether it may run."""

    publisher = models.ForeignKey(
        Publisher, on_delete=models.CASCADE, related_name="traffic_sources"
    )
    key = models.SlugField(max_length=64, help_text="What clicks send as `source`.")
    traffic_type = models.CharField(max_length=24, choices=TrafficType.choices)
    name = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["publisher", "key"], name="traffic_source_key_unique_per_publisher"
            )
        ]
