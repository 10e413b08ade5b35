"""What advertisers owe the network and what they paid: invoices, payments, prepaid top-ups,
credit limits and revenue budgets.

Invoices are documents: once issued, an invoice, its lines and its items never change (the
database refuses it, migrations/0002_database_guards.py). A change after issue (a conversion
reversed or rejected) becomes a credit line on the advertiser's next invoice. Payments and
top-ups are inserted, never updated or deleted; balances are sums, never stored.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import money_field


class InvoiceCounter(models.Model):
    """The next number of a series (e.g. INV-2025). Locked FOR UPDATE by the issue that takes
    a number, so numbers are gap-free: a rolled-back issue rolls its increment back too."""

    series = models.CharField(max_length=32, primary_key=True)
    next_number = models.PositiveIntegerField(default=1)


class Invoice(models.Model):
    """One advertiser's bill for one period in one currency (the currency of its offers)."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        ISSUED = "issued"

    advertiser = models.ForeignKey("offers.Advertiser", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    # The period billed, in the network's time zone: [period_start, period_end).
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    series = models.CharField(max_length=32, blank=True)
    number = models.PositiveIntegerField(null=True, blank=True)
    # Sums of the lines: charges >= 0, credits <= 0, total = charges + credits.
    charges = money_field(default=0)
    credits = money_field(default=0)
    total = money_field(default=0)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    built_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["advertiser", "currency", "period_start", "period_end"],
                name="invoice_one_per_advertiser_currency_period",
            ),
            models.UniqueConstraint(
                fields=["series", "number"],
                condition=Q(number__isnull=False),
                name="invoice_number_unique_in_series",
            ),
            models.CheckConstraint(
                name="invoice_issued_has_number",
                condition=Q(status="draft", number__isnull=True)
                | Q(status="issued", number__isnull=False, issued_at__isnull=False),
            ),
            models.CheckConstraint(
                name="invoice_period_forward", condition=Q(period_end__gt=models.F("period_start"))
            ),
        ]

    def __str__(self) -> str:
        return self.number_display or f"draft {self.pk}"

    @property
    def number_display(self) -> str:
        return f"{self.series}-{self.number:06d}" if self.number is not None else ""


class InvoiceLine(models.Model):
    """A line per offer, goal and kind: the period's approved revenue (charge), or a change
    after an earlier invoice was issued: a debit (a late approval, revenue raised) or a credit
    (reversed, rejected, revenue lowered; a negative amount)."""

    class Kind(models.TextChoices):
        CHARGE = "charge"
        DEBIT = "debit"
        CREDIT = "credit"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    offer = models.ForeignKey("offers.Offer", on_delete=models.PROTECT, related_name="+")
    goal = models.ForeignKey("offers.Goal", on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=400)
    quantity = models.PositiveIntegerField()
    amount = money_field()

    class Meta:
        ordering = ["kind", "offer_id", "goal_id"]
        constraints = [
            models.CheckConstraint(
                name="invoice_line_sign_follows_kind",
                condition=Q(kind__in=["charge", "debit"], amount__gte=0)
                | Q(kind="credit", amount__lte=0),
            ),
        ]


class InvoiceItem(models.Model):
    """One conversion on one line. A conversion is charged once (the partial unique
    constraint); later debits and credits bring what its invoices billed to what it is worth,
    and never below nothing: credited at most what was billed (a trigger sums its items,
    migrations/0003_debits_and_credits.py)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="items")
    line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=8, choices=InvoiceLine.Kind.choices)
    conversion = models.ForeignKey(
        "tracking.Conversion", on_delete=models.PROTECT, related_name="+"
    )
    amount = money_field()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversion"],
                condition=Q(kind="charge"),
                name="invoice_item_conversion_charged_once",
            ),
        ]


class Payment(models.Model):
    """Money received against an issued invoice. `prepaid`: settled from the advertiser's
    top-ups rather than new money, so it does not count twice towards its funds."""

    class Source(models.TextChoices):
        TRANSFER = "transfer"
        PREPAID = "prepaid"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    currency = models.CharField(max_length=3)
    amount = money_field()
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.TRANSFER)
    received_on = models.DateField()
    reference = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(name="payment_amount_positive", condition=Q(amount__gt=0)),
        ]


class TopUp(models.Model):
    """Money an advertiser paid in advance: adds to the funds its offers run on."""

    advertiser = models.ForeignKey("offers.Advertiser", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    amount = money_field()
    reference = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(name="top_up_amount_positive", condition=Q(amount__gt=0)),
        ]


class FundsLimit(models.Model):
    """Funds control for one advertiser and currency. Its offers in that currency pause when
    revenue booked reaches credit_limit + top-ups + payments received (a prepaid advertiser has
    credit_limit 0). No row: the advertiser is never paused for funds."""

    advertiser = models.ForeignKey("offers.Advertiser", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    credit_limit = money_field(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["advertiser_id", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["advertiser", "currency"], name="funds_limit_one_per_currency"
            ),
            models.CheckConstraint(
                name="funds_limit_not_negative", condition=Q(credit_limit__gte=0)
            ),
        ]


class RevenueBudget(models.Model):
    """At most `amount` of revenue (offer currency) per day or month, in the network's time
    zone; once reached the offer pauses until the next period or a higher budget."""

    class Period(models.TextChoices):
        DAY = "day"
        MONTH = "month"

    offer = models.ForeignKey("offers.Offer", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=8, choices=Period.choices)
    amount = money_field()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["offer_id", "period"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "period"], name="revenue_budget_per_period"),
            models.CheckConstraint(name="revenue_budget_positive", condition=Q(amount__gt=0)),
        ]
