"""Landing page variants of an offer and the A/B tests that weigh them.

Imported by offers/models.py, so Django registers them with the offers app. The redirect reads
them from the link snapshot (tracking/clicks/resolve.py), never per click.
"""

from django.db import models
from django.db.models import Q


class LandingVariant(models.Model):
    """One landing URL of an offer. When an offer has active variants of positive weight, each
    visitor is sent to one of them, picked by a hash of the visitor (tracking/clicks/variants.py)
    in proportion to the weights; the offer's own `landing_url` is used otherwise."""

    offer = models.ForeignKey(
        "offers.Offer", on_delete=models.CASCADE, related_name="landing_variants"
    )
    name = models.SlugField(max_length=32)
    url = models.URLField(max_length=2000)
    weight = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "name"], name="landing_variant_name_unique"),
            models.CheckConstraint(
                name="landing_variant_weight_bounded", condition=Q(weight__lte=1_000_000)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id}:{self.name}"


class LandingTest(models.Model):
    """An A/B test of an offer's landing variants on a goal (the offer's default goal when
    empty). Ending it promotes the winner: its URL becomes the offer's landing URL and every
    variant is switched off, so the redirect is back to one URL."""

    class Status(models.TextChoices):
        RUNNING = "running"
        ENDED = "ended"

    offer = models.ForeignKey(
        "offers.Offer", on_delete=models.CASCADE, related_name="landing_tests"
    )
    goal = models.ForeignKey(
        "offers.Goal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    winner = models.ForeignKey(
        LandingVariant, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer"],
                condition=Q(status="running"),
                name="landing_test_one_running_per_offer",
            ),
            models.CheckConstraint(
                name="landing_test_ended_has_winner",
                condition=Q(status="running")
                | (Q(winner__isnull=False) & Q(ended_at__isnull=False)),
            ),
        ]


class OfferTargeting(models.Model):
    """Finer targeting and scheduling of an offer, beside its country and device lists. Every
    list empty (and no dates, no hours) accepts everyone at any time. Read by the redirect from
    the link snapshot; a miss sends the visitor to the fallback with the reason on the click."""

    offer = models.OneToOneField("offers.Offer", on_delete=models.CASCADE, related_name="targeting")
    # Operating system and browser families as tracking/clicks/agents.py names them, lower
    # case (windows, ios, macos, android, chromeos, linux; edge, opera, samsung internet,
    # yandex, firefox, chrome, safari, internet explorer), and primary language subtags from
    # Accept-Language (en, de, pt, ...).
    oses = models.JSONField(default=list, blank=True)
    browsers = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    # Regions as ISO 3166-2 codes (US-CA, DE-BY), upper case. A list narrows only the countries
    # it names: a visitor from one of them must be in a listed region (an unknown region is
    # turned away, `region_unknown`); visitors from other countries are not affected. Regions
    # are known only with a city-level GeoIP database (tracking/clicks/regions.py).
    regions = models.JSONField(default=list, blank=True)
    # Day-parting: the IANA zone the hours are read in, and per weekday (0 Monday .. 6 Sunday,
    # as strings) the hours 0-23 the offer runs; an empty mapping runs every hour, a weekday
    # missing from a non-empty mapping does not run.
    time_zone = models.CharField(max_length=64, default="UTC")
    hours = models.JSONField(default=dict, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # A list is paged: without an order, a page could repeat or skip a row.
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="offer_targeting_dates_ordered",
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
            )
        ]
