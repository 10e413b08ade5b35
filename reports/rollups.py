"""The rollup tables, declared once: each one's time grain, dimensions, unique key and indexes.

Everything else reads this list: reports/models.py builds each table's model from it (and so
its migrations), the writers (services.py) aggregate a batch once per table and upsert on its
key, and the report planner (plan.py) picks the smallest table covering a report's dimensions.
A new rollup is one entry here and a migration (`makemigrations reports`).
"""

from dataclasses import dataclass

from django.apps import apps
from django.db import models

# Every dimension column a rollup may keep: None for an id (bigint), else its text's max length.
DIMENSIONS: dict[str, int | None] = {
    "offer_id": None,
    "advertiser_id": None,
    "publisher_id": None,
    "goal_id": None,
    "currency": 3,
    "country": 2,
    "device": 16,
    "subs_key": 32,
    "sub1": 255,
    "sub2": 255,
    "sub3": 255,
    "sub4": 255,
    "sub5": 255,
    "source": 255,
    # 0 for none (a click without a creative or landing variant, impressions, traffic money):
    # NULLs never conflict in a unique key, so the upsert could not add to such a row.
    "creative_id": None,
    "landing_variant_id": None,
}


@dataclass(frozen=True)
class Rollup:
    name: str  # the model's class name; its table is Django's default, reports_<name>
    prefix: str  # of its constraint and index names
    grain: str  # "hour" or "day": also the time column's name
    key_dims: tuple[str, ...]  # the unique key after the time column, in the constraint's order
    plain: tuple[str, ...] = ()  # dimensions stored beside the key, not in it
    indexed: tuple[str, ...] = ()  # each has an index on (column, time)
    doc: str = ""

    @property
    def dims(self) -> tuple[str, ...]:
        """Every dimension the table holds (what a report may group or filter on)."""
        return (*self.key_dims, *self.plain)

    @property
    def key(self) -> tuple[str, ...]:
        """The unique key the upsert conflicts on."""
        return (self.grain, *self.key_dims)

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model("reports", self.name)

    @property
    def table(self) -> str:
        return self.model._meta.db_table


_OFFER = ("offer_id", "advertiser_id", "currency")
_PAIR = ("offer_id", "publisher_id", "goal_id", "advertiser_id", "currency")
_COUNTRY = ("offer_id", "country", "device", "advertiser_id", "currency")
_GEO = (
    "offer_id",
    "publisher_id",
    "goal_id",
    "country",
    "device",
    "sub1",
    "advertiser_id",
    "currency",
)
# Six free-text columns are too wide for a btree key, so the key holds `subs_key`, the MD5 of
# the six values; the values themselves are plain columns beside it.
_SUBS = ("offer_id", "publisher_id", "goal_id", "subs_key", "advertiser_id", "currency")
# The six free-text values of a click, in the order subs_key hashes them.
SUB_VALUES = ("sub1", "sub2", "sub3", "sub4", "sub5", "source")
# Creative and landing variant are kept apart from the tables above (no other table grows a
# column, and only reports asking for them read these), with the pair and goal (a publisher's
# reports are scoped by publisher; conversions sit on their goal's row).
_CREATIVE = (
    "offer_id",
    "publisher_id",
    "goal_id",
    "creative_id",
    "landing_variant_id",
    "advertiser_id",
    "currency",
)

OFFER_HOUR = Rollup(
    "OfferHour",
    "rep_offer_h",
    "hour",
    _OFFER,
    doc="Per hour and offer: network and advertiser overviews (day, hour, offer, advertiser).",
)
OFFER_DAY = Rollup("OfferDay", "rep_offer_d", "day", _OFFER, doc="OfferHour by UTC day.")
PAIR_HOUR = Rollup(
    "PairHour",
    "rep_pair_h",
    "hour",
    _PAIR,
    indexed=("publisher_id", "offer_id", "advertiser_id"),
    doc="Per hour, offer, publisher and goal: publisher reports and offer drill-downs.",
)
PAIR_DAY = Rollup(
    "PairDay",
    "rep_pair_d",
    "day",
    _PAIR,
    indexed=("publisher_id", "offer_id", "advertiser_id"),
    doc="PairHour by UTC day.",
)
# Without advertiser_id: it would triple the rows; advertiser-scoped reports use PairDay.
PUBLISHER_DAY = Rollup(
    "PublisherDay",
    "rep_pub_d",
    "day",
    ("publisher_id", "currency"),
    doc="Per UTC day and publisher, nothing else: the network's publisher rankings.\n\n"
    "A fifth of PairDay's rows (a publisher runs several offers and goals). It has no "
    "advertiser, so an advertiser's reports, which are scoped by advertiser, read PairDay.",
)
# Without offer and advertiser: it would multiply the rows by the offers (CountryDay has them);
# advertiser-scoped reports, and any report filtered by offer, read CountryDay.
MARKET_DAY = Rollup(
    "MarketDay",
    "rep_market_d",
    "day",
    ("country", "device", "currency"),
    doc="Per UTC day, country and device, nothing else: the network's geo reports.\n\n"
    "A few hundred rows a day whatever the number of offers (CountryDay holds one set per "
    "offer). It has no offer or advertiser, so an advertiser's geo reports, which are scoped "
    "by advertiser, and reports filtered by offer read CountryDay.",
)
COUNTRY_HOUR = Rollup(
    "CountryHour",
    "rep_country_h",
    "hour",
    _COUNTRY,
    doc="Per hour, offer, country and device, without publishers: network geo reports.",
)
COUNTRY_DAY = Rollup("CountryDay", "rep_country_d", "day", _COUNTRY, doc="CountryHour by UTC day.")
GEO_HOUR = Rollup(
    "GeoHour",
    "rep_geo_h",
    "hour",
    _GEO,
    indexed=("publisher_id", "offer_id"),
    doc="Hour x offer x publisher x goal x country x device x sub1.\n\n"
    "Near one row per click at low traffic per pair; read through the publisher or offer index.",
)
GEO_DAY = Rollup(
    "GeoDay",
    "rep_geo_d",
    "day",
    _GEO,
    indexed=("publisher_id", "offer_id"),
    doc="GeoHour by UTC day: sub1, country and device reports over several days.\n\n"
    "A busy publisher repeats most of its (offer, country, device, sub1) combinations every "
    "hour, so a day holds a few times fewer rows than its 24 hours.",
)
SUBS_HOUR = Rollup(
    "SubsHour",
    "rep_subs_h",
    "hour",
    _SUBS,
    plain=SUB_VALUES,
    indexed=("publisher_id", "offer_id"),
    doc="Per hour, pair and goal, with all sub ids and the source (no country or device).",
)
CREATIVE_HOUR = Rollup(
    "CreativeHour",
    "rep_creative_h",
    "hour",
    _CREATIVE,
    indexed=("publisher_id", "offer_id", "advertiser_id"),
    doc="Per hour, offer, publisher, goal, creative and landing variant: ROAS per creative.\n\n"
    "About PairHour's rows when an offer has one creative and one variant; read only by "
    "reports that group or filter by creative or landing page.",
)
CREATIVE_DAY = Rollup(
    "CreativeDay",
    "rep_creative_d",
    "day",
    _CREATIVE,
    indexed=("publisher_id", "offer_id", "advertiser_id"),
    doc="CreativeHour by UTC day.",
)

ALL = (
    OFFER_HOUR,
    OFFER_DAY,
    PAIR_HOUR,
    PAIR_DAY,
    PUBLISHER_DAY,
    MARKET_DAY,
    COUNTRY_HOUR,
    COUNTRY_DAY,
    GEO_HOUR,
    GEO_DAY,
    SUBS_HOUR,
    CREATIVE_HOUR,
    CREATIVE_DAY,
)
# Smallest first: the planner takes the first one that covers a report. A daily table's edge
# hours come from the first hourly table covering the report, which need not have the same
# dimensions (PublisherDay's come from PairHour, MarketDay's from CountryHour): every table
# counts the same facts.
# The creative tables come last: no other table holds their two dimensions, so they are read
# only for reports that ask for creative or landing page.
HOURLY = (OFFER_HOUR, PAIR_HOUR, COUNTRY_HOUR, GEO_HOUR, SUBS_HOUR, CREATIVE_HOUR)
DAILY = (OFFER_DAY, PUBLISHER_DAY, MARKET_DAY, PAIR_DAY, COUNTRY_DAY, GEO_DAY, CREATIVE_DAY)
# Every dimension any rollup keeps, in one fixed order: what a counted fact carries.
FACT_DIMS = tuple(sorted({d for rollup in ALL for d in rollup.dims}))
