"""The rollup tables as data: which time grain and dimensions each one keeps.

Writers (services.py) aggregate a batch once per table from this list; the report planner
(plan.py) picks the smallest table covering a report's dimensions from the same list.
"""

from dataclasses import dataclass

from django.db import models

from reports import models as rollup_models


@dataclass(frozen=True)
class Rollup:
    model: type[models.Model]
    grain: str  # "hour" or "day": also the time column's name
    dims: tuple[str, ...]

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def key(self) -> tuple[str, ...]:
        """The unique key the upsert conflicts on (subs_key stands for the six sub values)."""
        if "subs_key" in self.dims:
            return (
                self.grain,
                *(d for d in self.dims if not d.startswith(("sub", "source"))),
                "subs_key",
            )
        return (self.grain, *self.dims)


_OFFER = ("offer_id", "advertiser_id", "currency")
_PAIR = (*_OFFER, "publisher_id", "goal_id")
_COUNTRY = (*_OFFER, "country", "device")
# Without advertiser_id: it would triple the rows; advertiser-scoped reports use PairDay.
_PUBLISHER = ("publisher_id", "currency")
_GEO = (*_PAIR, "country", "device", "sub1")
_SUBS = (*_PAIR, "subs_key", "sub1", "sub2", "sub3", "sub4", "sub5", "source")

OFFER_HOUR = Rollup(rollup_models.OfferHour, "hour", _OFFER)
OFFER_DAY = Rollup(rollup_models.OfferDay, "day", _OFFER)
PAIR_HOUR = Rollup(rollup_models.PairHour, "hour", _PAIR)
PAIR_DAY = Rollup(rollup_models.PairDay, "day", _PAIR)
PUBLISHER_DAY = Rollup(rollup_models.PublisherDay, "day", _PUBLISHER)
COUNTRY_HOUR = Rollup(rollup_models.CountryHour, "hour", _COUNTRY)
COUNTRY_DAY = Rollup(rollup_models.CountryDay, "day", _COUNTRY)
GEO_HOUR = Rollup(rollup_models.GeoHour, "hour", _GEO)
GEO_DAY = Rollup(rollup_models.GeoDay, "day", _GEO)
SUBS_HOUR = Rollup(rollup_models.SubsHour, "hour", _SUBS)

ALL = (
    OFFER_HOUR,
    OFFER_DAY,
    PAIR_HOUR,
    PAIR_DAY,
    PUBLISHER_DAY,
    COUNTRY_HOUR,
    COUNTRY_DAY,
    GEO_HOUR,
    GEO_DAY,
    SUBS_HOUR,
)
# Smallest first: the planner takes the first one that covers a report. A daily table's edge
# hours come from the first hourly table covering the report, which need not have the same
# dimensions (PublisherDay's come from PairHour): every table counts the same facts.
HOURLY = (OFFER_HOUR, PAIR_HOUR, COUNTRY_HOUR, GEO_HOUR, SUBS_HOUR)
DAILY = (OFFER_DAY, PUBLISHER_DAY, PAIR_DAY, COUNTRY_DAY, GEO_DAY)
