"""Links, clicks, the callback inbox and conversions."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import money_field


class TrackingDomain(models.Model):
    """A host links are minted on (tracking/domains.py): the network's (`publisher` NULL, any
    publisher may choose it) or one publisher's own (a CNAME to the network's). Its host must be
    in ALLOWED_HOSTS, or the click handler refuses its clicks (tracking/checks.py says so).
    At most one network domain is the default, used when a link names none."""

    host = models.CharField(max_length=253, unique=True)
    publisher = models.ForeignKey(
        "affiliates.Publisher",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tracking_domains",
    )
    is_default = models.BooleanField(default=False, db_default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["host"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="tracking_domain_one_default",
            ),
            models.CheckConstraint(
                name="tracking_domain_default_is_the_networks",
                condition=Q(is_default=False) | Q(publisher__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.host


class TrackingLink(models.Model):
    """An opaque, unguessable code standing for one (offer, publisher) pair, shown on `domain`
    (NULL: the default domain when it was minted, else TRACKING_BASE_URL)."""

    code = models.CharField(max_length=32, unique=True)
    offer = models.ForeignKey("offers.Offer", on_delete=models.CASCADE, related_name="links")
    publisher = models.ForeignKey(
        "affiliates.Publisher", on_delete=models.CASCADE, related_name="links"
    )
    domain = models.ForeignKey(
        TrackingDomain, null=True, blank=True, on_delete=models.PROTECT, related_name="links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "publisher"], name="link_unique_per_pair")
        ]


class Click(models.Model):
    """One visit through a tracking link.

    `click_id` is a ULID: URL-safe, time-sortable, 80 random bits. Offer and publisher are plain
    ids rather than foreign keys: clicks arrive in bulk from the buffer and are kept (or
    partitioned and dropped by day) independently of the rows they name.
    """

    class Reason(models.TextChoices):
        """Why a visitor went to the fallback instead of the offer (empty: it did not)."""

        NONE = ""
        OFFER_INACTIVE = "offer_inactive"
        PUBLISHER_INACTIVE = "publisher_inactive"
        NOT_ALLOWED = "not_allowed"
        COUNTRY = "country"
        DEVICE = "device"
        CAP_REACHED = "cap_reached"
        # The offer is held by billing (offers.OfferHold): its advertiser's prepaid balance or
        # credit limit is used up, or its revenue budget for the day or month is reached.
        FUNDS_EXHAUSTED = "funds_exhausted"
        BUDGET_REACHED = "budget_reached"
        # Finer targeting and scheduling (offers.OfferTargeting): the visitor's operating
        # system, browser or Accept-Language is outside the offer's lists; the hour in the
        # offer's time zone is outside its day-parting; the offer has not started or has ended.
        OS = "os"
        BROWSER = "browser"
        LANGUAGE = "language"
        SCHEDULE = "schedule"
        NOT_STARTED = "not_started"
        ENDED = "ended"
        # Region targeting (offers.OfferTargeting.regions): the visitor's region is not listed
        # for its country, or is unknown (no city database, or the address not placed in one).
        REGION = "region"
        REGION_UNKNOWN = "region_unknown"
        # A smart link found none of its offers eligible for this visitor.
        NO_ELIGIBLE_OFFER = "no_eligible_offer"

    # Unique with `created_at` (below), not alone: on PostgreSQL the table is partitioned by day
    # and a unique key must hold the partition key. `created_at` is the ULID's own timestamp, so
    # the pair is as unique as the id (tracking/clicks/ids.py).
    click_id = models.CharField(max_length=32, db_index=True)
    created_at = models.DateTimeField(db_index=True)
    offer_id = models.BigIntegerField(db_index=True)
    publisher_id = models.BigIntegerField(db_index=True)
    link_id = models.BigIntegerField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    referrer = models.TextField(blank=True)
    country = models.CharField(max_length=2, blank=True)
    device = models.CharField(max_length=16, blank=True)
    sub1 = models.CharField(max_length=255, blank=True)
    sub2 = models.CharField(max_length=255, blank=True)
    sub3 = models.CharField(max_length=255, blank=True)
    sub4 = models.CharField(max_length=255, blank=True)
    sub5 = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=255, blank=True)
    is_unique = models.BooleanField(default=True)
    is_bot = models.BooleanField(default=False)
    fallback_reason = models.CharField(
        max_length=32, choices=Reason.choices, blank=True, default=Reason.NONE
    )
    # The parameters the redirect dropped as malformed (a NUL, bytes that are not UTF-8, over
    # 255 characters), comma-separated, e.g. "sub1,source": the visitor was redirected anyway.
    # A database default too, so an ingester that does not know the column can still insert.
    bad_params = models.CharField(max_length=64, blank=True, default="", db_default="")
    # Traffic quality signals the ingester computed for this click (fraud/signals.py).
    signals = models.JSONField(default=dict, db_default={}, blank=True)
    # The landing variant (offers.LandingVariant id) the visitor was sent to; NULL when the
    # offer had none or the visitor went to the fallback.
    landing_variant_id = models.BigIntegerField(null=True, blank=True)
    # The creative (offers.Creative id) the visitor clicked, from the link's `creative`
    # parameter when it names one of the offer's approved, active creatives; NULL otherwise (a
    # parameter naming another is dropped and listed in `bad_params`).
    creative_id = models.BigIntegerField(null=True, blank=True)
    # The smart link (tracking.SmartLink id) the visitor came through; the offer it chose for
    # them is `offer_id`.
    smart_link_id = models.BigIntegerField(null=True, blank=True)
    # The visitor's region (ISO 3166-2, e.g. US-CA) when a city database placed it; "" unknown.
    region = models.CharField(max_length=8, blank=True, default="", db_default="")
    # A smart link's decision for this visitor, compact (tracking/clicks/smart.py SmartChoice:
    # `rule:how|offer:why-not-eligible:epc|...`); read as a structure by
    # tracking.smart_link_explain.smart_choice_explain. Empty for other clicks.
    smart_choice = models.TextField(blank=True, default="", db_default="")
    # The creative A/B test (offers.CreativeTest id) whose rotating code the visitor clicked;
    # `creative_id` is then the arm shown to them (tracking/clicks/creative_tests.py).
    creative_test_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["click_id", "created_at"], name="click_id_unique")
        ]


class ClickRetentionMark(models.Model):
    """How far click retention has gone: every click at or before (created_at, click_pk) has its
    address truncated and its user agent reduced (tracking/clicks/retention.py). One row; a run
    holds its lock for a batch, so two runs never work the same clicks."""

    created_at = models.DateTimeField(null=True, blank=True)
    click_pk = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)


class Impression(models.Model):
    """Impressions (pixel loads) of one (offer, publisher) pair in one UTC hour.

    Counted in Redis by the pixel and added here in batches (tracking/clicks/impressions.py).
    """

    hour = models.DateTimeField()
    offer_id = models.BigIntegerField(db_index=True)
    publisher_id = models.BigIntegerField(db_index=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-hour"]
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "offer_id", "publisher_id"], name="impression_unique_per_hour"
            ),
            models.CheckConstraint(name="impression_count_not_negative", condition=Q(count__gte=0)),
        ]


class ImpressionFlush(models.Model):
    """A batch of impression counts already added: makes a retried flush add nothing twice."""

    token = models.CharField(max_length=64, unique=True)
    flushed_at = models.DateTimeField(auto_now_add=True)


class CallbackInbox(models.Model):
    """Every conversion callback exactly as received, stored before we answer.

    Attribution workers claim rows whose `state` is `received`; a row is processed once in effect
    because the conversion it yields is unique per inbox row.
    """

    class State(models.TextChoices):
        RECEIVED = "received"
        PROCESSED = "processed"
        REJECTED_AUTH = "rejected_auth", "Rejected at the door (auth)"

    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    dialect = models.CharField(max_length=16, default="s2s")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    params = models.JSONField(default=dict)
    headers = models.JSONField(default=dict)
    remote_ip = models.GenericIPAddressField(null=True, blank=True)
    advertiser = models.ForeignKey(
        "offers.Advertiser", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    click_id = models.CharField(max_length=64, blank=True, db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RECEIVED)
    # Outcome of processing: a reason code such as unknown_click, duplicate_txn, or "converted".
    result = models.CharField(max_length=48, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    # A callback whose click is not in PostgreSQL yet waits: workers skip it until then.
    retry_at = models.DateTimeField(null=True, blank=True)
    # The advertiser could not be told from the request (click not findable yet): the token or
    # signature is checked by attribution once the click is found.
    auth_deferred = models.BooleanField(default=False)
    # A callback accepted into the Redis spool while PostgreSQL was down carries the id minted
    # at acceptance (a ULID): unique, so a drain that stored it and died before its XACK stores
    # nothing the second time (tracking/callbacks/spool.py). NULL for every other row.
    spool_id = models.CharField(max_length=26, null=True, blank=True, editable=False)  # noqa: DJ001

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], name="inbox_unprocessed", condition=Q(state="received"))
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["spool_id"],
                name="inbox_spool_id_unique",
                condition=Q(spool_id__isnull=False),
            )
        ]


class RealConversionManager(models.Manager):
    """Conversions of real traffic only: the default, so every reader that counts or pays
    (ledger, rollups, caps, fraud outcomes, billing, rankings, lists) never sees a test one."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(is_test=False)


class Conversion(models.Model):
    """A result attributed to a click. Terms in force at attribution are frozen in `terms`.

    `is_test`: the click came through a sandbox link (its click id's random part starts with
    TEST, tracking/clicks/ids.py). A test conversion runs every check a real one does but is
    never booked, counted or reported; `Conversion.objects` hides it, `Conversion.all_objects`
    (postbacks, the sandbox) sees it.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        REVERSED = "reversed"

    class HoldReason(models.TextChoices):
        """Why a PENDING conversion waits: its `reject_reason` (tracking/attribution/decide.py).

        Only `advertiser_approval` is the advertiser's to decide (accounts/policy.py); the
        others are network holds, decided by managers.
        """

        ADVERTISER_APPROVAL = "advertiser_approval"  # the goal's approval is manual
        ADVERTISER_PENDING = "advertiser_pending"  # the advertiser's callback said pending
        PIXEL = "pixel"  # came from the image pixel, which carries no credential
        AMOUNT_ABOVE_LIMIT = "amount_above_limit"  # sale amount above the goal's or network's max
        CAP_REACHED = "cap_reached"  # a cap with action `hold` was full
        PAYOUT_NOT_SET = "payout_not_set"  # the goal has no payout yet
        FRAUD_REVIEW = "fraud_review"  # a fraud rule with action hold fired (fraud/rules.py)
        # The publisher is paid in another currency and no loaded rate converts this one: the
        # code payouts.fx raises (FX_RATE_MISSING), stored as is (tests/payouts/test_fx.py).
        FX_RATE_MISSING = "fx_rate_missing"

    inbox = models.OneToOneField(
        CallbackInbox, null=True, blank=True, on_delete=models.PROTECT, related_name="conversion"
    )
    click_id = models.CharField(max_length=32, db_index=True)
    click_created_at = models.DateTimeField()
    offer = models.ForeignKey("offers.Offer", on_delete=models.PROTECT, related_name="+")
    goal = models.ForeignKey("offers.Goal", on_delete=models.PROTECT, related_name="+")
    publisher = models.ForeignKey(
        "affiliates.Publisher", on_delete=models.PROTECT, related_name="+"
    )
    advertiser = models.ForeignKey("offers.Advertiser", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices)
    reject_reason = models.CharField(max_length=48, blank=True)
    currency = models.CharField(max_length=3)
    sale_amount = money_field(null=True, blank=True)
    revenue = money_field()
    payout = money_field()
    # NULL, not "", so the per-advertiser uniqueness ignores callbacks without one.
    advertiser_txn_id = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    # True unless the goal allows several conversions per click; backs the uniqueness below.
    once_per_click = models.BooleanField(default=True)
    sub1 = models.CharField(max_length=255, blank=True)
    sub2 = models.CharField(max_length=255, blank=True)
    sub3 = models.CharField(max_length=255, blank=True)
    sub4 = models.CharField(max_length=255, blank=True)
    sub5 = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=255, blank=True)
    terms = models.JSONField(default=dict)
    explanation = models.JSONField(default=list)
    # Signal values, the rules that fired and the rule set version (fraud/rules.py); managers'.
    fraud = models.JSONField(default=dict, db_default={}, blank=True)
    is_test = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RealConversionManager()
    all_objects = models.Manager()  # noqa: DJ012 (a second manager, not a field)

    class Meta:
        ordering = ["-id"]
        base_manager_name = "all_objects"
        constraints = [
            # Test and real conversions apart: a transaction id tried in the sandbox may come
            # again for real.
            models.UniqueConstraint(
                fields=["advertiser", "advertiser_txn_id", "is_test"],
                condition=Q(advertiser_txn_id__isnull=False) & ~Q(status="rejected"),
                name="conversion_txn_unique_per_advertiser",
            ),
            models.UniqueConstraint(
                fields=["click_id", "goal"],
                condition=Q(once_per_click=True) & ~Q(status="rejected"),
                name="conversion_once_per_click_and_goal",
            ),
            models.CheckConstraint(
                name="conversion_money_not_negative", condition=Q(revenue__gte=0, payout__gte=0)
            ),
        ]


class ConversionHistory(models.Model):
    """One change to a conversion after it was written: who, what, from and to, and why."""

    class Action(models.TextChoices):
        APPROVE = "approve"
        REJECT = "reject"
        REVERSE = "reverse"
        ADJUST = "adjust"

    conversion = models.ForeignKey(Conversion, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    old_payout = money_field()
    new_payout = money_field()
    old_revenue = money_field()
    new_revenue = money_field()
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "conversion history"


class PostbackDelivery(models.Model):
    """One publisher postback owed: a template filled for one conversion event.

    Unique per (conversion, template, event), so attributing or re-enqueuing twice owes it once.
    Attempts are claimed with a conditional update on `claimed_until`, never by holding a row
    lock across the remote call.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed", "Failed (attempts exhausted)"
        REFUSED = "refused", "Refused (unsafe target)"

    conversion = models.ForeignKey(
        Conversion, on_delete=models.PROTECT, related_name="postback_deliveries"
    )
    template = models.ForeignKey(
        "affiliates.PostbackTemplate", on_delete=models.CASCADE, related_name="+"
    )
    publisher = models.ForeignKey(
        "affiliates.Publisher", on_delete=models.PROTECT, related_name="+"
    )
    event = models.CharField(max_length=16)
    method = models.CharField(max_length=4, default="GET")
    url = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversion", "template", "event"], name="postback_delivery_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="postback_due", condition=Q(status="pending")
            )
        ]


class PostbackAttempt(models.Model):
    """One call (or refusal) of a publisher postback, readable by that publisher."""

    delivery = models.ForeignKey(PostbackDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    # "ok", "http_error", "timeout", "connection_error", "refused_<why>".
    outcome = models.CharField(max_length=48)
    response_excerpt = models.TextField(blank=True)
    connected_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="postback_attempt_once")
        ]


class CallbackReplayKey(models.Model):
    """A signed callback's signature, once: the same signature again is a replay, refused.

    Inserted in the transaction that inserts the callback's inbox row (tracking/callbacks/
    store.py), so a callback is stored if and only if its signature was new. Keyed by the
    signature alone rather than with the advertiser: a callback whose click is not findable yet
    is stored before its advertiser is known (auth_deferred), and an HMAC-SHA256 under one
    advertiser's secret never equals another's in practice. Rows older than the signature's
    timestamp tolerance are deleted (`callback_replay_keys_purge`): by then the timestamp alone
    refuses the replay.
    """

    # sha256 hex of "<version>=<signature hex>" (tracking/callbacks/auth.py: replay_digest).
    digest = models.CharField(max_length=64, primary_key=True)
    advertiser_id = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(db_index=True)


class ValidationUpload(models.Model):
    """One applied validation file (tracking/validation.py): who sent it, for which advertiser
    (NULL: a manager's file across advertisers), and each row's outcome, kept so the result
    CSV can be downloaded again. The conversions themselves change through the manual action
    services, each row asking the money policy; this row only records what happened."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    advertiser = models.ForeignKey(
        "offers.Advertiser", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField(default=dict)
    rows = models.JSONField(default=list)

    class Meta:
        ordering = ["-id"]


class SandboxLink(models.Model):
    """A test link: the (offer, publisher) pair's traffic rehearsed without money.

    Clicks through it get a test click id (tracking/clicks/ids.py) and run the whole chain as in
    production (redirect, callback, attribution, caps and fraud rules, the publisher's
    postback), but their conversions are test ones (Conversion.is_test). A live offer is never
    switched into a test mode: the test link is a second door to it. A test click's `link_id`
    names a SandboxLink.
    """

    code = models.CharField(max_length=32, unique=True)
    offer = models.ForeignKey("offers.Offer", on_delete=models.CASCADE, related_name="+")
    publisher = models.ForeignKey(
        "affiliates.Publisher", on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]


class SandboxTraceStep(models.Model):
    """One step of a test click's trace that no other row keeps: the redirect (link, decision,
    macros filled, final URL) and each test conversion sent from the sandbox. Written for test
    clicks only, so real traffic never pays for it. The callback, attribution and postback
    steps are read from the inbox, the conversion and the postback log."""

    class Step(models.TextChoices):
        REDIRECT = "redirect"
        SEND = "send"

    click_id = models.CharField(max_length=32, db_index=True)
    link = models.ForeignKey(SandboxLink, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(max_length=16, choices=Step.choices)
    at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]


class TrafficDay(models.Model):
    """What one publisher's traffic on one offer earned in one closed network day, per pricing
    model (CPC: unique clicks; CPM: counted impressions), as the daily booking counted it
    (tracking/traffic_booking.py): what was paid and what was left out, and why.

    One row per (day, model, offer, publisher): the row is the booking's idempotency record,
    so a re-run adds nothing to the reports and books nothing in the ledger.
    """

    class Model(models.TextChoices):
        CPC = "cpc"
        CPM = "cpm"

    day = models.DateField()
    model = models.CharField(max_length=8, choices=Model.choices)
    offer_id = models.BigIntegerField()
    publisher_id = models.BigIntegerField()
    goal_id = models.BigIntegerField()
    counted = models.BigIntegerField(default=0)
    paid = models.BigIntegerField(default=0)
    fraud_excluded = models.BigIntegerField(default=0)
    repeats_excluded = models.BigIntegerField(default=0)
    capped = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    revenue = money_field(default=0)
    payout = money_field(default=0)
    # A day already paid per hour at ingest (TRAFFIC_BOOKING=hourly before): not paid again.
    paid_hourly = models.BooleanField(default=False)
    # CPM: what `counted` is (tracking/impression_reports.py): the pixels, or the reported
    # count (a manager's choice per offer or publisher); the pixels are kept beside it.
    source = models.CharField(max_length=10, default="pixel", db_default="pixel")
    pixel_counted = models.BigIntegerField(default=0, db_default=0)
    booked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "model", "offer_id", "publisher_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "model", "offer_id", "publisher_id"], name="traffic_day_once"
            ),
            models.CheckConstraint(
                name="traffic_day_counts_not_negative",
                condition=Q(paid__gte=0, counted__gte=0, revenue__gte=0, payout__gte=0),
            ),
        ]


# Smart links live in their own module; imported here so Django registers them with this app.
from tracking.impression_report_models import ImpressionReport, ImpressionSource  # noqa: E402
from tracking.smart_link_models import SmartLink, SmartLinkOffer  # noqa: E402

__all__ = ["ImpressionReport", "ImpressionSource", "SmartLink", "SmartLinkOffer"]
