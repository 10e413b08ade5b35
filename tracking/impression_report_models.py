"""Where CPM money is counted from, and the impression counts reported server to server
(tracking/impression_reports.py).

Imported by tracking/models.py, so Django registers them with this app.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import money_field


class ImpressionSource(models.Model):
    """Which count the daily booking prices an offer's CPM from (one publisher's, or every
    publisher's when `publisher` is NULL; the publisher's row wins):

    - `pixel`: the impression pixels counted per hour (no row: the default);
    - `reported`: the counts reported by the offer's advertiser (its ad server) or entered by a
      manager from a third-party ad server (ImpressionReport). Pixels are still counted, for
      reports and for comparison, but pay nothing.

    Set by managers only (accounts.policy: impression_source.set).
    """

    class Source(models.TextChoices):
        PIXEL = "pixel"
        REPORTED = "reported"

    offer = models.ForeignKey(
        "offers.Offer", on_delete=models.CASCADE, related_name="impression_sources"
    )
    publisher = models.ForeignKey(
        "affiliates.Publisher",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="impression_sources",
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["offer_id", "publisher_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "publisher"],
                condition=Q(publisher__isnull=False),
                name="impression_source_once_per_publisher",
            ),
            models.UniqueConstraint(
                fields=["offer"],
                condition=Q(publisher__isnull=True),
                name="impression_source_once_per_offer",
            ),
        ]


class ImpressionReport(models.Model):
    """One reported impression count: `count` impressions of `offer` shown by `publisher` on
    network day `day` (NETWORK_TIME_ZONE, as the booking cuts days), of one `creative` or of
    none named. Rows are never deleted nor their counts changed.

    A line is (offer, publisher, day, creative); its latest report is `is_current`, and a
    day's reported count for a publisher is the sum of its current lines. `status` says what
    the report did when it arrived: `pending` (the day not booked yet: the count waits for the
    booking, which marks it `booked`; a later report of the same line before the booking
    marks it `replaced`), or `correction` (the day was booked: the difference was
    booked at once as its own ledger entry, the figures before and after kept here).
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        REPLACED = "replaced"
        BOOKED = "booked"
        CORRECTION = "correction"

    offer = models.ForeignKey("offers.Offer", on_delete=models.PROTECT, related_name="+")
    publisher = models.ForeignKey(
        "affiliates.Publisher", on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField()
    creative = models.ForeignKey(
        "offers.Creative", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    report_id = models.CharField(max_length=100)
    count = models.BigIntegerField()
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter_role = models.CharField(max_length=16)
    status = models.CharField(max_length=12, choices=Status.choices)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A correction: the publisher's paid impressions and money for the day before and after.
    paid_before = models.BigIntegerField(null=True, blank=True)
    paid_after = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    revenue_change = money_field(null=True, blank=True)
    payout_change = money_field(null=True, blank=True)
    ledger_key = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["-day", "offer_id", "publisher_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "report_id"], name="impression_report_once"),
            models.CheckConstraint(
                name="impression_report_count_not_negative", condition=Q(count__gte=0)
            ),
        ]
        indexes = [
            models.Index(fields=["day", "offer", "publisher"], name="impression_report_line"),
        ]
