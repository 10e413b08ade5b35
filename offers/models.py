"""Advertisers and what they configure: offers, goals, terms, publisher overrides, caps."""

from django.db import models
from django.db.models import Q

from core.fields import money_field, percent_field


class Advertiser(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        INACTIVE = "inactive"

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # The postback secret is shown once, at rotation; it is kept encrypted (offers/secret_box.py)
    # with a short visible prefix to tell secrets apart.
    postback_secret_prefix = models.CharField(max_length=16, blank=True)
    postback_secret_encrypted = models.TextField(blank=True)
    # Legacy: sha256_hex of a secret minted before secrets were encrypted (callbacks may still
    # use its token and signature v1 until CALLBACK_SIGNATURE_V1_UNTIL). Emptied at rotation.
    postback_secret_hash = models.CharField(max_length=64, blank=True)
    # CIDRs allowed to call our postback endpoint; empty means any address.
    ip_allowlist = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        PAUSED = "paused"
        EXPIRED = "expired"

    class Visibility(models.TextChoices):
        PUBLIC = "public"
        APPROVAL = "approval", "Needs approval"
        PRIVATE = "private"

    advertiser = models.ForeignKey(Advertiser, on_delete=models.PROTECT, related_name="offers")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    landing_url = models.URLField(max_length=2000)
    preview_url = models.URLField(max_length=2000, blank=True)
    fallback_url = models.URLField(max_length=2000, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    currency = models.CharField(max_length=3, default="USD")
    # ISO 3166 alpha-2 codes and device kinds (desktop, mobile, tablet); empty accepts all.
    countries = models.JSONField(default=list, blank=True)
    devices = models.JSONField(default=list, blank=True)
    attribution_window_seconds = models.PositiveIntegerField(default=30 * 24 * 3600)
    min_click_to_conversion_seconds = models.PositiveIntegerField(default=0)
    max_click_to_conversion_seconds = models.PositiveIntegerField(null=True, blank=True)
    deep_links_allowed = models.BooleanField(default=False)
    deep_link_allowed_hosts = models.JSONField(default=list, blank=True)
    # Terms normally pay the publisher no more than the network earns; this says otherwise.
    allow_payout_above_revenue = models.BooleanField(default=False)
    # A click sent to the fallback (country, device, paused, no access, cap) never reached the
    # offer: its conversions are rejected `fallback_click` unless this says they count.
    fallback_clicks_convert = models.BooleanField(default=False)
    # The advertiser may reverse an approved conversion for this many days after it was made
    # (a return, a chargeback); later reversals are a manager's (accounts/policy.py).
    reversal_window_days = models.PositiveIntegerField(default=90)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="offer_click_window_ordered",
                condition=Q(max_click_to_conversion_seconds__isnull=True)
                | Q(
                    max_click_to_conversion_seconds__gte=models.F("min_click_to_conversion_seconds")
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Goal(models.Model):
    class Approval(models.TextChoices):
        AUTO = "auto"
        MANUAL = "manual"

    class Kind(models.TextChoices):
        """What the goal measures, so pages and reports say CPL or CPS for what it is: a flat
        amount on a lead goal is CPL, a share of a sale goal is CPS."""

        LEAD = "lead"
        SALE = "sale"
        INSTALL = "install"
        OTHER = "other"

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="goals")
    name = models.CharField(max_length=200)
    ref = models.SlugField(max_length=64, help_text="What advertisers send as `goal`.")
    is_default = models.BooleanField(default=False)
    allow_multiple = models.BooleanField(
        default=False, help_text="A click may convert on this goal more than once."
    )
    approval = models.CharField(max_length=16, choices=Approval.choices, default=Approval.AUTO)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OTHER)
    # The image pixel (/p/<ref>.gif) runs in the visitor's browser and carries no credential: it
    # is off unless enabled, counts only when its Origin (else Referer) host is one of
    # `pixel_domains` or a subdomain of one, and its conversions always wait for review.
    pixel_enabled = models.BooleanField(default=False)
    pixel_domains = models.JSONField(default=list, blank=True)
    # Sale amounts above this (offer currency) are held `amount_above_limit`; NULL: the network's
    # MAX_SALE_AMOUNT.
    max_sale_amount = money_field(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "ref"], name="goal_ref_unique_per_offer"),
            models.UniqueConstraint(
                fields=["offer"], condition=Q(is_default=True), name="goal_one_default_per_offer"
            ),
            models.CheckConstraint(
                name="goal_max_sale_amount_not_negative",
                condition=Q(max_sale_amount__isnull=True) | Q(max_sale_amount__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id}:{self.ref}"


class TermsKind(models.TextChoices):
    CPA_FLAT = "cpa_flat", "CPA flat"
    REVSHARE = "revshare", "Revenue share %"
    CPA_PLUS_REVSHARE = "cpa_plus_revshare", "CPA + revenue share %"
    CPC = "cpc", "CPC (per unique click)"
    # Per thousand counted impressions: booked per day by the traffic booking job
    # (tracking/traffic_booking.py), never per conversion.
    CPM = "cpm", "CPM (per thousand impressions)"


class Terms(models.Model):
    """What the advertiser pays (revenue) and the publisher earns (payout) for one goal.

    Each side is a kind plus a flat amount and a percent; which of the two count depends on the
    kind (`cpa_plus_revshare` uses both). Amounts are in the offer's currency.

    The revenue side is the advertiser's (managers may set it too); the payout side is the
    network's: only managers set it and advertisers never see it (accounts/policy.py). A blank
    `payout_kind` is "no payout yet": the goal is not runnable, and its conversions are held
    `payout_not_set` unless the publisher has an override in force.
    """

    goal = models.OneToOneField(Goal, on_delete=models.CASCADE, related_name="terms")
    revenue_kind = models.CharField(max_length=24, choices=TermsKind.choices)
    revenue_amount = money_field(default=0)
    revenue_percent = percent_field(default=0)
    payout_kind = models.CharField(max_length=24, choices=TermsKind.choices, blank=True, default="")
    payout_amount = money_field(default=0)
    payout_percent = percent_field(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "terms"
        constraints = [
            models.CheckConstraint(
                name="terms_amounts_not_negative",
                condition=Q(revenue_amount__gte=0, payout_amount__gte=0),
            ),
            models.CheckConstraint(
                name="terms_percents_in_range",
                condition=Q(revenue_percent__gte=0, revenue_percent__lte=100)
                & Q(payout_percent__gte=0, payout_percent__lte=100),
            ),
        ]


class PublisherOverride(models.Model):
    """Publisher-specific payout for an offer (all its goals) or one goal, in a validity window.

    A goal-level override beats an offer-level one; either beats the goal's default terms.
    """

    publisher = models.ForeignKey(
        "affiliates.Publisher", on_delete=models.CASCADE, related_name="overrides"
    )
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="overrides")
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.CASCADE, related_name="overrides"
    )
    payout_kind = models.CharField(max_length=24, choices=TermsKind.choices)
    payout_amount = money_field(default=0)
    payout_percent = percent_field(default=0)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="override_amounts_valid",
                condition=Q(payout_amount__gte=0, payout_percent__gte=0, payout_percent__lte=100),
            ),
            models.CheckConstraint(
                name="override_validity_ordered",
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
            ),
        ]


class Cap(models.Model):
    """A limit per offer (optionally per publisher, optionally per goal) and period.

    `counts` says what fills it: conversions (of `goal` when set, else of any goal), unique
    clicks that reached the offer (the redirect turns visitors away through the cap flags, and
    the daily traffic booking pays no clicks past it), or counted impressions (the daily
    booking pays none past it). Only a conversion cap may count payout, or name a goal.
    """

    class Counts(models.TextChoices):
        CONVERSIONS = "conversions"
        CLICKS = "clicks"
        IMPRESSIONS = "impressions"

    class Period(models.TextChoices):
        DAY = "day"
        WEEK = "week"
        MONTH = "month"
        TOTAL = "total"

    class Metric(models.TextChoices):
        CONVERSIONS = "conversions"
        PAYOUT = "payout"

    class Action(models.TextChoices):
        REJECT = "reject"
        HOLD = "hold"
        FALLBACK = "fallback"

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="caps")
    publisher = models.ForeignKey(
        "affiliates.Publisher", null=True, blank=True, on_delete=models.CASCADE, related_name="caps"
    )
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.CASCADE, related_name="caps"
    )
    counts = models.CharField(max_length=16, choices=Counts.choices, default=Counts.CONVERSIONS)
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.DAY)
    metric = models.CharField(max_length=16, choices=Metric.choices, default=Metric.CONVERSIONS)
    limit = money_field()
    action = models.CharField(max_length=16, choices=Action.choices, default=Action.REJECT)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(name="cap_limit_positive", condition=Q(limit__gt=0)),
            models.CheckConstraint(
                name="cap_traffic_counts_units",
                condition=Q(counts="conversions") | Q(metric="conversions", goal__isnull=True),
            ),
        ]


class OfferTerms(models.Model):
    """One version of an offer's compliance terms: the traffic it allows and forbids, and the
    text publishers accept. A version never changes once written (offers/compliance.py offers no
    update): a change is a new version, and publishers' acceptances name the one they saw.

    `allowed_traffic` empty: every type the offer does not forbid. A type both allowed and
    forbidden is refused when written.
    """

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="terms_versions")
    version = models.PositiveIntegerField()
    allowed_traffic = models.JSONField(default=list, blank=True)
    forbidden_traffic = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True)
    published_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["offer_id", "-version"]
        verbose_name_plural = "offer terms"
        constraints = [
            models.UniqueConstraint(fields=["offer", "version"], name="offer_terms_version_unique"),
            models.CheckConstraint(name="offer_terms_version_positive", condition=Q(version__gt=0)),
        ]

    def __str__(self) -> str:
        return f"Offer {self.offer_id} terms v{self.version}"


class OfferHold(models.Model):
    """Why an offer stops taking visitors for now, set by a layer above the catalogue (billing:
    the advertiser's funds are used up, or the offer's revenue budget is reached).

    A row per reason; the offer runs again when its last hold is lifted. The redirect reads
    holds from its link snapshot (tracking/clicks/resolve.py), never per click.
    """

    class Reason(models.TextChoices):
        FUNDS_EXHAUSTED = "funds_exhausted"
        BUDGET_REACHED = "budget_reached"

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="holds")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["offer_id", "reason"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "reason"], name="offer_hold_once_per_reason")
        ]

    def __str__(self) -> str:
        return f"offer {self.offer_id} held: {self.reason}"


# Creatives (offers/creatives.py), landing variants, A/B tests and finer targeting
# (offers/landing.py) live in their own modules;
# imported here so Django registers them with this app.
from offers.creative_tests import CreativeTest, CreativeTestArm  # noqa: E402
from offers.creatives import Creative  # noqa: E402
from offers.landing import LandingTest, LandingVariant, OfferTargeting  # noqa: E402
from offers.revenue_cuts import RevenueCutRequest  # noqa: E402

__all__ = [
    "Creative",
    "CreativeTest",
    "CreativeTestArm",
    "LandingTest",
    "LandingVariant",
    "OfferTargeting",
    "RevenueCutRequest",
]
