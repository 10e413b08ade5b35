"""Report rollups: counters per time bucket and dimensions, maintained as clicks and conversions
are written (reports/services.py), so a report never scans raw clicks.

Why several tables: one table keyed by every dimension would have about one row per click (sub
ids are nearly unique per click at our volumes), so a network-wide report over a week would scan
millions of rows. Each table below keeps fewer dimensions and so far fewer rows; a report reads
the smallest table that holds every dimension it groups or filters on (reports/plan.py). The
`*Day` tables (UTC days) serve the whole days inside a range; the hours at its edges come from
the matching hourly table, so any time zone still gets exact day boundaries.

Conventions shared by every table:
- Ids are plain integers, like on clicks: rollups outlive and never block the rows they count.
- `goal_id` 0 holds traffic (impressions, clicks: they have no goal); conversions sit on their
  goal's row. 0 rather than NULL, because NULLs never conflict in a unique key (no upsert).
- `currency` is the offer's currency on traffic rows and the conversion's on conversion rows:
  money is never added across currencies, and clicks sit beside the money they earned (EPC).
- Conversions are counted twice, on two sets of columns: `ct_*` in the bucket of the click's time
  and `cv_*` in the bucket of the conversion's time; a report reads one set (its `basis`).
- Money is stored as integer millionths (the precision of every money column): exact on SQLite
  too, and PostgreSQL sums bigints several times faster than numerics. Revenue, payout and sale
  amount count approved conversions only; `*_sales` counts those that carried a sale amount.
  CPC clicks add their revenue and payout to their own traffic row (goal 0), on both bases.
"""

from django.db import models

TRAFFIC_COUNTERS = ("impressions", "clicks", "unique_clicks", "bot_clicks")
CONVERSION_COUNTERS = (
    "pending",
    "approved",
    "rejected",
    "reversed",
    "sales",
    "revenue_micros",
    "payout_micros",
    "sale_micros",
)
BASES = ("ct", "cv")
COUNTERS = TRAFFIC_COUNTERS + tuple(
    f"{basis}_{name}" for basis in BASES for name in CONVERSION_COUNTERS
)


class Counters(models.Model):
    impressions = models.BigIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)
    unique_clicks = models.BigIntegerField(default=0)
    bot_clicks = models.BigIntegerField(default=0)
    ct_pending = models.BigIntegerField(default=0)
    ct_approved = models.BigIntegerField(default=0)
    ct_rejected = models.BigIntegerField(default=0)
    ct_reversed = models.BigIntegerField(default=0)
    ct_sales = models.BigIntegerField(default=0)
    ct_revenue_micros = models.BigIntegerField(default=0)
    ct_payout_micros = models.BigIntegerField(default=0)
    ct_sale_micros = models.BigIntegerField(default=0)
    cv_pending = models.BigIntegerField(default=0)
    cv_approved = models.BigIntegerField(default=0)
    cv_rejected = models.BigIntegerField(default=0)
    cv_reversed = models.BigIntegerField(default=0)
    cv_sales = models.BigIntegerField(default=0)
    cv_revenue_micros = models.BigIntegerField(default=0)
    cv_payout_micros = models.BigIntegerField(default=0)
    cv_sale_micros = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


def _key(name: str, time: str, *dims: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=[time, *dims], name=f"{name}_key")


def _by(name: str, column: str, time: str) -> models.Index:
    return models.Index(fields=[column, time], name=f"{name}_{column[:4]}")


class OfferHour(Counters):
    """Per hour and offer: network and advertiser overviews (day, hour, offer, advertiser)."""

    hour = models.DateTimeField()
    offer_id = models.BigIntegerField()
    advertiser_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [_key("rep_offer_h", "hour", "offer_id", "advertiser_id", "currency")]


class OfferDay(Counters):
    day = models.DateField()
    offer_id = models.BigIntegerField()
    advertiser_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [_key("rep_offer_d", "day", "offer_id", "advertiser_id", "currency")]


class PairHour(Counters):
    """Per hour, offer, publisher and goal: publisher reports and offer drill-downs."""

    hour = models.DateTimeField()
    offer_id = models.BigIntegerField()
    advertiser_id = models.BigIntegerField()
    publisher_id = models.BigIntegerField()
    goal_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [
            _key(
                "rep_pair_h",
                "hour",
                "offer_id",
                "publisher_id",
                "goal_id",
                "advertiser_id",
                "currency",
            )
        ]
        indexes = [
            _by("rep_pair_h", "publisher_id", "hour"),
            _by("rep_pair_h", "offer_id", "hour"),
            _by("rep_pair_h", "advertiser_id", "hour"),
        ]


class PairDay(Counters):
    day = models.DateField()
    offer_id = models.BigIntegerField()
    advertiser_id = models.BigIntegerField()
    publisher_id = models.BigIntegerField()
    goal_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [
            _key(
                "rep_pair_d",
                "day",
                "offer_id",
                "publisher_id",
                "goal_id",
                "advertiser_id",
                "currency",
            )
        ]
        indexes = [
            _by("rep_pair_d", "publisher_id", "day"),
            _by("rep_pair_d", "offer_id", "day"),
            _by("rep_pair_d", "advertiser_id", "day"),
        ]


class PublisherDay(Counters):
    """Per UTC day and publisher, nothing else: the network's publisher rankings.

    A fifth of PairDay's rows (a publisher runs several offers and goals). It has no advertiser,
    so an advertiser's reports, which are scoped by advertiser, read PairDay instead.
    """

    day = models.DateField()
    publisher_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [_key("rep_pub_d", "day", "publisher_id", "currency")]


class CountryHour(Counters):
    """Per hour, offer, country and device, without publishers: network geo reports."""

    hour = models.DateTimeField()
    offer_id = models.BigIntegerField()
    advertiser_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    country = models.CharField(max_length=2)
    device = models.CharField(max_length=16)

    class Meta:
        constraints = [
            _key(
                "rep_country_h",
                "hour",
                "offer_id",
                "country",
                "device",
                "advertiser_id",
                "currency",
            )
        ]


class CountryDay(Counters):
    day = models.DateField()
    offer_id = models.BigIntegerField()
    advertiser_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    country = models.CharField(max_length=2)
    device = models.CharField(max_length=16)

    class Meta:
        constraints = [
            _key(
                "rep_country_d",
                "day",
                "offer_id",
                "country",
                "device",
                "advertiser_id",
                "currency",
            )
        ]


class GeoHour(Counters):
    """The issue's rollup: hour x offer x publisher x goal x country x device x sub1.

    Near one row per click at low traffic per pair; read through the publisher or offer index.
    """

    hour = models.DateTimeField()
    offer_id = models.BigIntegerField()
    advertiser_id = models.BigIntegerField()
    publisher_id = models.BigIntegerField()
    goal_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    country = models.CharField(max_length=2)
    device = models.CharField(max_length=16)
    sub1 = models.CharField(max_length=255)

    class Meta:
        constraints = [
            _key(
                "rep_geo_h",
                "hour",
                "offer_id",
                "publisher_id",
                "goal_id",
                "country",
                "device",
                "sub1",
                "advertiser_id",
                "currency",
            )
        ]
        indexes = [
            _by("rep_geo_h", "publisher_id", "hour"),
            _by("rep_geo_h", "offer_id", "hour"),
        ]


class GeoDay(Counters):
    """GeoHour by UTC day: sub1, country and device reports over several days.

    A busy publisher repeats most of its (offer, country, device, sub1) combinations every hour,
    so a day holds a few times fewer rows than its 24 hours.
    """

    day = models.DateField()
    offer_id = models.BigIntegerField()
    advertiser_id = models.BigIntegerField()
    publisher_id = models.BigIntegerField()
    goal_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    country = models.CharField(max_length=2)
    device = models.CharField(max_length=16)
    sub1 = models.CharField(max_length=255)

    class Meta:
        constraints = [
            _key(
                "rep_geo_d",
                "day",
                "offer_id",
                "publisher_id",
                "goal_id",
                "country",
                "device",
                "sub1",
                "advertiser_id",
                "currency",
            )
        ]
        indexes = [
            _by("rep_geo_d", "publisher_id", "day"),
            _by("rep_geo_d", "offer_id", "day"),
        ]


class SubsHour(Counters):
    """Per hour, pair and goal, with all sub ids and the source (no country or device).

    Six free-text columns are too wide for a btree key, so the key holds `subs_key`, the MD5 of
    the six values; the values themselves are plain columns beside it.
    """

    hour = models.DateTimeField()
    offer_id = models.BigIntegerField()
    advertiser_id = models.BigIntegerField()
    publisher_id = models.BigIntegerField()
    goal_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    subs_key = models.CharField(max_length=32)
    sub1 = models.CharField(max_length=255)
    sub2 = models.CharField(max_length=255)
    sub3 = models.CharField(max_length=255)
    sub4 = models.CharField(max_length=255)
    sub5 = models.CharField(max_length=255)
    source = models.CharField(max_length=255)

    class Meta:
        constraints = [
            _key(
                "rep_subs_h",
                "hour",
                "offer_id",
                "publisher_id",
                "goal_id",
                "subs_key",
                "advertiser_id",
                "currency",
            )
        ]
        indexes = [
            _by("rep_subs_h", "publisher_id", "hour"),
            _by("rep_subs_h", "offer_id", "hour"),
        ]


class ConversionCounted(models.Model):
    """What one conversion currently adds to the rollups.

    The hook is told the previous status only; amounts may change too. Keeping what was added
    lets a change subtract exactly that and add the new figures, so repeated or out-of-order
    calls can never count a conversion twice.
    """

    conversion_id = models.BigIntegerField(primary_key=True)
    dims = models.JSONField()
    status = models.CharField(max_length=16)
    revenue_micros = models.BigIntegerField()
    payout_micros = models.BigIntegerField()
    sale_micros = models.BigIntegerField(null=True)
