"""The ledger (append-only money entries) and the payout batches that settle it.

PostgreSQL keeps the promises (migration 0003): ledger rows refuse UPDATE, DELETE and TRUNCATE;
a batch moves only forward through its states; lines and inclusions change only while their
batch is a draft; a paid batch never changes, except that a line may be marked failed (which is
itself recorded in the ledger). Currencies cannot mix: a line must have its batch's currency,
and every inclusion is checked against its line's and entry's currency and publisher.
"""

import secrets

from django.db import models
from django.db.models import F, Q

from core.decisions import TwoPersonRequest, actor_field
from core.fields import money_field


class LedgerEntry(models.Model):
    """One money movement for a publisher, signed: what we owe grows with positive amounts.

    earning +, reversal -, adjustment +/-, payment -, payment_failure + (the money comes back).
    Rows are inserted, never updated or deleted; a correction is a new entry. `idempotency_key`
    makes a retried writer a no-op (e.g. ``conversion:42:earning``).

    Each entry names its source: a conversion (earning, reversal), a user with a reason
    (adjustment), or a batch line (payment, payment_failure).
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
    # The line a payment settles, or whose payment failed.
    batch_line = models.ForeignKey(
        "payouts.PayoutBatchLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    reason = models.TextField(blank=True)
    created_by = actor_field(optional=True)
    # A converted entry (payouts/fx.py): `amount` in the publisher's currency is
    # money_round(source_amount x fx_rate), rounded once; the source is in the offer's currency,
    # already rounded there. Its reversal converts at this stored rate, never today's.
    source_currency = models.CharField(max_length=3, blank=True, default="", db_default="")
    source_amount = money_field(null=True, blank=True)
    fx_rate = models.DecimalField(max_digits=24, decimal_places=10, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["publisher", "currency"], name="ledger_publisher_currency")]
        constraints = [
            models.CheckConstraint(
                name="ledger_sign_matches_kind",
                condition=Q(kind__in=["earning", "payment_failure"], amount__gte=0)
                | Q(kind__in=["reversal", "payment"], amount__lte=0)
                | Q(kind="adjustment"),
            ),
            # A manual adjustment names its author and why; attribution's adjustments (a
            # conversion's payout changed) name their conversion.
            models.CheckConstraint(
                name="ledger_adjustment_names_its_source",
                condition=~Q(kind="adjustment")
                | Q(conversion__isnull=False)
                | (Q(created_by__isnull=False) & ~Q(reason="")),
            ),
            models.CheckConstraint(
                name="ledger_payment_names_its_line",
                condition=~Q(kind__in=["payment", "payment_failure"]) | Q(batch_line__isnull=False),
            ),
            models.CheckConstraint(
                name="ledger_fx_all_or_nothing",
                condition=Q(source_currency="", source_amount__isnull=True, fx_rate__isnull=True)
                | (
                    ~Q(source_currency="")
                    & Q(source_amount__isnull=False, fx_rate__gt=0)
                    & ~Q(source_currency=F("currency"))
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} (publisher {self.publisher_id})"


class PayoutBatch(models.Model):
    """A finance document: per publisher, the eligible unpaid entries of one currency.

    Totals are stored once, by the build (the only writer of a draft's lines), and frozen by the
    database from approval on. Two people: the approver is none of its authors (the builder,
    the author of an adjustment in it, whoever asked to change where one of its lines is paid;
    accounts.policy BATCH_APPROVE), and approves the digest of the lines shown. A batch built by
    the schedule has no builder, and still its other authors may not approve it.
    """

    class Status(models.TextChoices):
        DRAFT = "draft"
        APPROVED = "approved"
        EXPORTED = "exported"
        PAID = "paid"

    currency = models.CharField(max_length=3)
    cut_off = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    total = money_field(default=0)
    line_count = models.PositiveIntegerField(default=0)
    entry_count = models.PositiveIntegerField(default=0)
    built_by = actor_field(optional=True)
    built_at = models.DateTimeField()
    approved_by = actor_field(optional=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    exported_by = actor_field(optional=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    paid_by = actor_field(optional=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Publishers the build held out though money was due, and why (payout details changed
    # within the cool-down, suspended): [{"publisher", "name", "amount", "reason"}], by the build.
    held = models.JSONField(default=list, blank=True)
    # The digest of the lines the approver reviewed (payouts.selectors.payout_batch_digest).
    approved_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "payout batches"
        constraints = [
            models.CheckConstraint(
                name="batch_approver_is_not_builder", condition=~Q(approved_by=F("built_by"))
            ),
            models.CheckConstraint(
                name="batch_status_has_its_stamps",
                condition=Q(status="draft", approved_at__isnull=True, paid_at__isnull=True)
                | Q(
                    status__in=["approved", "exported"],
                    approved_by__isnull=False,
                    approved_at__isnull=False,
                    paid_at__isnull=True,
                )
                | Q(
                    status="paid",
                    approved_by__isnull=False,
                    approved_at__isnull=False,
                    paid_at__isnull=False,
                ),
            ),
            models.CheckConstraint(
                name="batch_total_positive_unless_empty",
                condition=Q(total__gt=0) | Q(line_count=0),
            ),
            # The schedule builds one batch per currency and cut-off: a retried task is a no-op.
            models.UniqueConstraint(
                fields=["currency", "cut_off"],
                condition=Q(built_by__isnull=True),
                name="batch_scheduled_once_per_cut_off",
            ),
        ]

    def __str__(self) -> str:
        return f"Batch {self.id} {self.currency} {self.status}"


class PayoutBatchLine(models.Model):
    """What one publisher is paid in a batch: the sum of its included entries, never re-rounded.

    Payout method and details are snapshots taken at build, so an export shows what was approved.
    """

    class Status(models.TextChoices):
        OK = "ok"
        FAILED = "failed"

    batch = models.ForeignKey(PayoutBatch, on_delete=models.CASCADE, related_name="lines")
    publisher = models.ForeignKey(
        "affiliates.Publisher", on_delete=models.PROTECT, related_name="payout_lines"
    )
    currency = models.CharField(max_length=3)
    amount = money_field()
    payout_method = models.CharField(max_length=16)
    payout_details = models.JSONField(default=dict, blank=True)
    payee_name = models.CharField(max_length=200)
    reference = models.CharField(max_length=30, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OK)
    failure_reason = models.TextField(blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "publisher"], name="batch_line_one_per_publisher"
            ),
            models.CheckConstraint(name="batch_line_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="batch_line_failure_is_stamped",
                condition=Q(status="ok", failed_at__isnull=True)
                | Q(status="failed", failed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency}"


class PayoutLineEntry(models.Model):
    """An entry taken by a line. The entry is the primary key: an entry is in at most one batch,
    and the ledger row itself is never touched to say so.

    A build writes a million of these at once, so the database checks them per statement (one
    join over the new rows: the line exists, is a draft's, has the entry's publisher and
    currency) rather than with per-row foreign-key triggers, which would cost more than the
    build itself (migration 0003).
    """

    entry = models.OneToOneField(
        LedgerEntry,
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="inclusion",
        db_constraint=False,
    )
    # Indexed by BRIN, not a B-tree (migration 0003): a build appends one batch's inclusions
    # together, so their line ids form one narrow range per stretch of the table; a B-tree
    # would cost a fifth of the build for lookups that only deleting a draft needs.
    line = models.ForeignKey(
        PayoutBatchLine,
        on_delete=models.CASCADE,
        related_name="inclusions",
        db_constraint=False,
        db_index=False,
    )
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["entry"]
        verbose_name_plural = "payout line entries"


class Decision(models.TextChoices):
    """The states of a request that waits for a second person."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


def _decision_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            name=f"{prefix}_confirmer_is_not_requester",
            condition=~Q(state="confirmed", decided_by=F("requested_by")),
        ),
        models.CheckConstraint(
            name=f"{prefix}_decision_is_stamped",
            condition=Q(state="pending", decided_at__isnull=True, decided_by__isnull=True)
            | Q(state__in=["confirmed", "rejected"], decided_at__isnull=False),
        ),
    ]


class AdjustmentRequest(TwoPersonRequest):
    """A manual adjustment waiting for a second finance user before it becomes a ledger entry.

    Adjustments one author makes to one publisher above PAYOUT_ADJUSTMENT_CONFIRM_ABOVE (summed
    since the publisher's last paid batch) wait here; the ledger itself stays append-only. On
    confirmation the entry is written with the requester as its author.
    """

    State = Decision

    publisher = models.ForeignKey(
        "affiliates.Publisher", on_delete=models.PROTECT, related_name="adjustment_requests"
    )
    currency = models.CharField(max_length=3)
    amount = money_field()
    reason = models.TextField()
    idempotency_key = models.CharField(max_length=128, unique=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="request"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            *_decision_constraints("adjustment_request"),
            models.CheckConstraint(
                name="adjustment_request_confirmed_has_its_entry",
                condition=~Q(state="confirmed") | Q(entry__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Adjustment request {self.id}: {self.amount} {self.currency} ({self.state})"


class LineFailureRequest(TwoPersonRequest):
    """A request to mark a paid line failed, which pays its amount again in a later batch: it
    takes effect only when a second finance user confirms."""

    State = Decision

    line = models.ForeignKey(
        PayoutBatchLine, on_delete=models.PROTECT, related_name="failure_requests"
    )
    reason = models.TextField(blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)

    class Meta:
        ordering = ["-id"]
        constraints = [
            *_decision_constraints("line_failure_request"),
            models.UniqueConstraint(
                fields=["line"],
                condition=Q(state="pending"),
                name="line_failure_request_one_pending_per_line",
            ),
        ]

    def __str__(self) -> str:
        return f"Line failure request {self.id} for line {self.line_id} ({self.state})"


class AccountingPeriod(models.Model):
    """One month of the books, in the network's time zone (NETWORK_TIME_ZONE).

    A month with no row is open. Once it has ended, one finance user validates it (the figures
    were checked against the advertisers) and another closes it (accounts.policy PERIOD_VALIDATE,
    PERIOD_CLOSE; the database refuses one person doing both). Months close in order. Until it
    is closed, a validated month can be sent back to open, with a reason, by a finance user other
    than its validator (PERIOD_REOPEN); a closed month never reopens (a trigger, migration 0009).

    A closed month's books never change: PostgreSQL refuses a ledger entry dated inside it
    (migration 0007), and a later change to one of its conversions is booked as an adjustment
    dated when it is written, which is always in an open month (docs/design.md, "Accounting
    periods"). `starts_at` and `ends_at` are the month's instants, fixed when the row is made,
    so the database needs no time zone rules to check an entry's date.
    """

    class Status(models.TextChoices):
        OPEN = "open"
        VALIDATED = "validated"
        CLOSED = "closed"

    month = models.DateField(unique=True)  # its first day
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    validated_by = actor_field(optional=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    closed_by = actor_field(optional=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The last time a validated month was sent back to open, by whom and why (the audit log
    # keeps every time). A closed month never reopens.
    reopened_by = actor_field(optional=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(name="period_month_is_first_day", condition=Q(month__day=1)),
            models.CheckConstraint(
                name="period_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))
            ),
            models.CheckConstraint(
                name="period_closer_is_not_validator", condition=~Q(closed_by=F("validated_by"))
            ),
            models.CheckConstraint(
                name="period_status_has_its_stamps",
                condition=Q(status="open", validated_at__isnull=True, closed_at__isnull=True)
                | Q(
                    status="validated",
                    validated_by__isnull=False,
                    validated_at__isnull=False,
                    closed_at__isnull=True,
                )
                | Q(
                    status="closed",
                    validated_by__isnull=False,
                    validated_at__isnull=False,
                    closed_by__isnull=False,
                    closed_at__isnull=False,
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} ({self.status})"


def _tax_form_path(instance: "TaxForm", filename: str) -> str:
    # The publisher's name never enters the path; the original name is kept in a column.
    return f"tax_forms/{instance.publisher_id}/{secrets.token_hex(16)}"


class TaxForm(models.Model):
    """A publisher's tax document (W-9, W-8BEN...), stored through Django's storage API and
    reviewed by finance. Where TAX_FORM_REQUIRED is on, a publisher without an accepted form
    valid today is held out of batches (payouts.services.build: tax_form_missing, _pending,
    _rejected, _expired). The reviewer is never the uploader."""

    class Kind(models.TextChoices):
        W9 = "w9", "W-9"
        W8BEN = "w8ben", "W-8BEN"
        W8BEN_E = "w8ben_e", "W-8BEN-E"
        VAT = "vat", "VAT registration"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    publisher = models.ForeignKey(
        "affiliates.Publisher", on_delete=models.PROTECT, related_name="tax_forms"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    signed_on = models.DateField()  # the date on the form
    document = models.FileField(upload_to=_tax_form_path, max_length=200)
    file_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    uploaded_by = actor_field()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = actor_field(optional=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    # The last day an accepted form counts (null: no expiry). Set by finance when it accepts the
    # form, by default from its kind (payouts.services.payees.tax_form_default_valid_until: a
    # W-8BEN lasts to the end of the third calendar year after signing); never changed after.
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="tax_form_valid_after_signing",
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("signed_on")),
            ),
            models.CheckConstraint(
                name="tax_form_reviewer_is_not_uploader",
                condition=~Q(reviewed_by=F("uploaded_by")),
            ),
            models.CheckConstraint(
                name="tax_form_review_is_stamped",
                condition=Q(status="pending", reviewed_at__isnull=True, reviewed_by__isnull=True)
                | Q(
                    status__in=["accepted", "rejected"],
                    reviewed_at__isnull=False,
                    reviewed_by__isnull=False,
                ),
            ),
            models.CheckConstraint(
                name="tax_form_rejection_says_why",
                condition=~Q(status="rejected") | ~Q(review_note=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of publisher {self.publisher_id} ({self.status})"


class FxRate(models.Model):
    """One exchange rate of one day: 1 `base` = `rate` `quote` (EUR/USD 1.0850 is base EUR,
    quote USD). Loaded only from a file the operator chooses (`manage.py fx_rates_load`);
    nothing is fetched. A converted ledger entry stores the rate it used, so later loads never
    change what was booked."""

    date = models.DateField()
    base = models.CharField(max_length=3)
    quote = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=24, decimal_places=10)
    source = models.CharField(max_length=64, blank=True)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "base", "quote"]
        constraints = [
            models.UniqueConstraint(fields=["date", "base", "quote"], name="fx_rate_once_a_day"),
            models.CheckConstraint(name="fx_rate_positive", condition=Q(rate__gt=0)),
            models.CheckConstraint(name="fx_rate_two_currencies", condition=~Q(base=F("quote"))),
        ]

    def __str__(self) -> str:
        return f"{self.date} 1 {self.base} = {self.rate} {self.quote}"
