"""Report rollups: counters per time bucket and dimensions, maintained as clicks and conversions
are written (reports/services.py), so a report never scans raw clicks.

Why several tables: one table keyed by every dimension would have about one row per click (sub
ids are nearly unique per click at our volumes), so a network-wide report over a week would scan
millions of rows. Each table below keeps fewer dimensions and so far fewer rows; a report reads
the smallest table that holds every dimension it groups or filters on (reports/plan.py). The
`*Day` tables (UTC days) serve the whole days inside a range; the hours at its edges come from
the matching hourly table, so any time zone still gets exact day boundaries. The tables are
declared once, in reports/rollups.py; the models below are built from that list.

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

from reports.rollups import ALL, DIMENSIONS, Rollup

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
    """Every rollup's counters: one BigIntegerField per name in COUNTERS (added below)."""

    class Meta:
        abstract = True


for _name in COUNTERS:
    Counters.add_to_class(_name, models.BigIntegerField(default=0))


def _dimension(name: str) -> models.Field:
    length = DIMENSIONS[name]
    return models.BigIntegerField() if length is None else models.CharField(max_length=length)


def _rollup_model(rollup: Rollup) -> type[Counters]:
    """The model of one table of reports/rollups.py: its time column, dimensions, key, indexes."""
    meta = type(
        "Meta",
        (),
        {
            "constraints": [
                models.UniqueConstraint(fields=list(rollup.key), name=f"{rollup.prefix}_key")
            ],
            "indexes": [
                models.Index(fields=[column, rollup.grain], name=f"{rollup.prefix}_{column[:4]}")
                for column in rollup.indexed
            ],
        },
    )
    time = models.DateTimeField() if rollup.grain == "hour" else models.DateField()
    attrs = {
        "__module__": __name__,
        "__doc__": rollup.doc,
        "__qualname__": rollup.name,
        "Meta": meta,
        rollup.grain: time,
        **{name: _dimension(name) for name in rollup.dims},
    }
    return type(rollup.name, (Counters,), attrs)


_MODELS = {rollup.name: _rollup_model(rollup) for rollup in ALL}
OfferHour = _MODELS["OfferHour"]
OfferDay = _MODELS["OfferDay"]
PairHour = _MODELS["PairHour"]
PairDay = _MODELS["PairDay"]
PublisherDay = _MODELS["PublisherDay"]
MarketDay = _MODELS["MarketDay"]
CountryHour = _MODELS["CountryHour"]
CountryDay = _MODELS["CountryDay"]
GeoHour = _MODELS["GeoHour"]
GeoDay = _MODELS["GeoDay"]
SubsHour = _MODELS["SubsHour"]
CreativeHour = _MODELS["CreativeHour"]
CreativeDay = _MODELS["CreativeDay"]


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
