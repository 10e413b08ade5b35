"""Keeping the rollups: called by tracking.hooks inside the writer's transaction.

Each call aggregates its batch in Python first, then adds it to every rollup table with one
INSERT ... ON CONFLICT DO UPDATE SET x = x + EXCLUDED.x per table (per ~1,000 rows), so the
rollups commit or roll back with the clicks and conversions they count, and concurrent writers
never lose an increment (the upsert adds under the row lock; no read-modify-write).
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from core.bulk_insert import rows_insert
from core.pg_cursor import pg_cursor
from offers.models import Offer
from reports.clicks_in_sql import clicks_count_stored
from reports.models import CONVERSION_COUNTERS, COUNTERS, ConversionCounted
from reports.rollups import ALL, DIMENSIONS, FACT_DIMS, SUB_VALUES, Rollup

# The rows counted are tracking's Click and Conversion. tracking is the layer above this sink
# (it calls in, inside its own transaction), so they are not imported here: the sink reads only
# the attributes it names, and what it cannot read from a conversion (its click's country and
# device) the caller passes in as `places_of`.
Click = Any
Conversion = Any
# Conversion ids -> (country, device, creative id, landing variant id) of each conversion's click,
# for the conversions given (ids None when the click had none).
Place = tuple[str, str, int | None, int | None]
PlacesOf = Callable[[list[Conversion]], Mapping[int, Place]]
# tracking.models.Conversion.Status.APPROVED: only an approved conversion counts its money.
_APPROVED = "approved"

# A fact: when it happened (UTC), every dimension any rollup keeps, and what it adds.
Fact = tuple[datetime, dict[str, Any], dict[str, int]]


def rollup_clicks_add(
    *, clicks: list[Click], cpc: Mapping[str, Any] | None = None, stored_in: str = ""
) -> None:
    """Count a batch of newly inserted clicks (the ingester calls this once per batch).

    `cpc`: click id -> what a CPC click earned (tracking.attribution.cpc.CpcMoney: currency,
    revenue, payout). That money is added to the click's own row on both bases (a click's time is
    its conversion time), so revenue, payout, profit and EPC include it; the conversion counts
    do not change.

    `stored_in`: the table the clicks were just inserted into, in this transaction. Without CPC
    money, PostgreSQL then counts them from there itself (reports/clicks_in_sql.py).
    """
    cpc = cpc or {}
    if not clicks:
        return
    if stored_in and not cpc and connection.vendor == "postgresql":
        clicks_count_stored(table=stored_in, clicks=clicks)
        return
    offers = _offers(offer_ids={click.offer_id for click in clicks})
    facts: list[Fact] = []
    for click in clicks:
        advertiser_id, currency = offers.get(click.offer_id, (0, ""))
        dims = _dims(
            offer_id=click.offer_id,
            advertiser_id=advertiser_id,
            currency=currency,
            publisher_id=click.publisher_id,
            goal_id=0,
            country=click.country,
            device=click.device,
            subs=[getattr(click, name) for name in SUB_VALUES],
            creative_id=click.creative_id,
            landing_variant_id=click.landing_variant_id,
        )
        counters = {
            "clicks": 1,
            "unique_clicks": int(click.is_unique),
            "bot_clicks": int(click.is_bot),
        }
        money = cpc.get(click.click_id)
        if money is not None and money.currency == currency:
            for basis in ("ct", "cv"):
                counters[f"{basis}_revenue_micros"] = _micros(money.revenue)
                counters[f"{basis}_payout_micros"] = _micros(money.payout)
        facts.append((click.created_at, dims, counters))
    rollup_facts_add(facts=facts)


def rollup_impressions_add(*, counts: Iterable[tuple[datetime, int, int, int]]) -> None:
    """Count impressions: (hour, offer_id, publisher_id, count) as the pixel flush adds them.

    Impressions have no country, device or sub ids: they sit on rows where those are empty.
    """
    counts = [row for row in counts if row[3]]
    if not counts:
        return
    offers = _offers(offer_ids={offer_id for _, offer_id, _, _ in counts})
    facts: list[Fact] = []
    for hour, offer_id, publisher_id, count in counts:
        advertiser_id, currency = offers.get(offer_id, (0, ""))
        dims = _dims(
            offer_id=offer_id,
            advertiser_id=advertiser_id,
            currency=currency,
            publisher_id=publisher_id,
            goal_id=0,
            country="",
            device="",
            subs=[""] * 6,
        )
        facts.append((hour, dims, {"impressions": count}))
    rollup_facts_add(facts=facts)


def rollup_traffic_money_add(
    *, rows: Iterable[tuple[datetime, int, int, str, Decimal, Decimal]]
) -> None:
    """Add a closed day's CPC or CPM money: (day start, offer_id, publisher_id, currency,
    revenue, payout) as the daily traffic booking priced it (tracking/traffic_booking.py).

    On the day's first hour, on rows without country, device or sub ids (like impressions): the
    money belongs to the day's filtered, capped traffic, not to any one click. Both bases.
    """
    rows = [row for row in rows if row[4] or row[5]]
    if not rows:
        return
    offers = _offers(offer_ids={row[1] for row in rows})
    facts: list[Fact] = []
    for when, offer_id, publisher_id, currency, revenue, payout in rows:
        advertiser_id, offer_currency = offers.get(offer_id, (0, ""))
        if currency != offer_currency:
            continue
        dims = _dims(
            offer_id=offer_id,
            advertiser_id=advertiser_id,
            currency=currency,
            publisher_id=publisher_id,
            goal_id=0,
            country="",
            device="",
            subs=[""] * 6,
        )
        counters = {}
        for basis in ("ct", "cv"):
            counters[f"{basis}_revenue_micros"] = _micros(revenue)
            counters[f"{basis}_payout_micros"] = _micros(payout)
        facts.append((when, dims, counters))
    rollup_facts_add(facts=facts)


def rollup_conversion_apply(
    *, conversion: Conversion, previous_status: str | None, places_of: PlacesOf
) -> None:
    """Make the rollups count `conversion` as it is now (see rollup_conversions_apply).

    `previous_status` is not needed: the stored row is the truth.
    """
    rollup_conversions_apply(conversions=[conversion], places_of=places_of)


def rollup_conversions_apply(
    *,
    conversions: list[Conversion],
    places_of: PlacesOf,
    created: bool = False,
) -> None:
    """Make the rollups count each of `conversions` as it is now.

    `places_of` gives the country and device of the clicks of the conversions not counted yet
    (the caller knows where clicks are kept; tracking.clicks.lookup.clicks_place);
    `created` says the conversions were inserted in this transaction, so none was counted yet.

    What a conversion added before (ConversionCounted) is subtracted and its current figures
    added: a status change moves the count between statuses, a reversal takes its money out of
    revenue and payout, an amount adjustment adds the difference. The stored row is the truth,
    which makes a repeated call add nothing. A conversion listed twice counts as its last copy.

    One batch is one locking read of the stored rows (in id order, so two writers never wait on
    each other in a cycle), one read of the new conversions' clicks, one rollup_facts_add and
    one upsert of the stored rows, whatever the batch's size.
    """
    latest = {conversion.pk: conversion for conversion in conversions}
    if not latest:
        return
    ids = sorted(latest)
    counted = {}
    if not created:
        counted = {
            row.conversion_id: row
            for row in ConversionCounted.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("conversion_id")
        }
    uncounted = [latest[pk] for pk in ids if pk not in counted]
    places = places_of(uncounted) if uncounted else {}
    facts: list[Fact] = []
    changed: list[ConversionCounted] = []
    for pk in ids:
        conversion = latest[pk]
        row = counted.get(pk)
        state = _conversion_state(conversion)
        if row is None:
            dims = _conversion_dims(conversion=conversion, place=places.get(pk))
        else:
            # Counted before the creative tables existed: it stays on their "none" row, where
            # migration 0006 put what the other tables had counted of it.
            dims = {**_DIMS_ADDED_LATER, **row.dims}
            old = {name: getattr(row, name) for name in state}
            if old == state:
                continue
            facts += _conversion_facts(dims=dims, state=old, sign=-1)
        facts += _conversion_facts(dims=dims, state=state, sign=1)
        changed.append(ConversionCounted(conversion_id=pk, dims=dims, **state))
    if not changed:
        return
    rollup_facts_add(facts=facts)
    rows_insert(
        objs=changed, unique_fields=["conversion_id"], update_fields=["dims", *_STATE_FIELDS]
    )


# Dimensions a stored ConversionCounted.dims may lack, with the value they had when it was stored.
_DIMS_ADDED_LATER = {"creative_id": 0, "landing_variant_id": 0}
_STATE_FIELDS = ("status", "revenue_micros", "payout_micros", "sale_micros")


def _conversion_state(conversion: Conversion) -> dict[str, Any]:
    return {
        "status": conversion.status,
        "revenue_micros": _micros(conversion.revenue),
        "payout_micros": _micros(conversion.payout),
        "sale_micros": None if conversion.sale_amount is None else _micros(conversion.sale_amount),
    }


def rollup_facts_add(*, facts: list[Fact]) -> None:
    """Aggregate facts per rollup table and add them, one upsert per table and ~1,000 rows.

    Facts with the same hour and dimensions are summed once first: a batch is mostly a few
    offers, publishers and hours, so each table then aggregates a few rows, not every fact.
    A row's plain (non-key) dimensions are those of the first fact with its key, as before.
    """
    hours: dict[datetime, datetime] = {}
    groups: dict[tuple, list[int]] = {}
    width = len(COUNTERS)
    for when, dims, counters in facts:
        hour = hours.get(when)
        if hour is None:
            hour = hours[when] = _bucket(when=when, grain="hour")
        key = (hour, *(dims[d] for d in FACT_DIMS))
        sums = groups.get(key)
        if sums is None:
            sums = groups[key] = [0] * width
        for name, value in counters.items():
            sums[_COUNTER_INDEX[name]] += value
    days = {hour: hour.date() for hour in hours.values()}
    for rollup in ALL:
        rows: dict[tuple, list[int]] = {}
        extra: dict[tuple, tuple] = {}
        plain = rollup.plain
        key_at = [1 + FACT_DIMS.index(d) for d in rollup.key_dims]
        plain_at = [1 + FACT_DIMS.index(d) for d in plain]
        for group, group_sums in groups.items():
            bucket = group[0] if rollup.grain == "hour" else days[group[0]]
            key = (bucket, *(group[i] for i in key_at))
            sums = rows.get(key)
            if sums is None:
                rows[key] = list(group_sums)
                if plain:
                    extra[key] = tuple(group[i] for i in plain_at)
            else:
                for index, value in enumerate(group_sums):
                    sums[index] += value
        _upsert(rollup=rollup, rows=rows, extra=extra, plain=plain)


_COUNTER_INDEX = {name: index for index, name in enumerate(COUNTERS)}


def _upsert(
    *, rollup: Rollup, rows: dict[tuple, list[int]], extra: dict[tuple, tuple], plain: tuple
) -> None:
    if not rows:
        return
    ops = connection.ops
    columns = (*rollup.key, *plain, *COUNTERS)
    quoted = ", ".join(ops.quote_name(c) for c in columns)
    updates = ", ".join(
        f"{ops.quote_name(c)} = {rollup.table}.{ops.quote_name(c)} + EXCLUDED.{ops.quote_name(c)}"
        for c in COUNTERS
    )
    conflict = ", ".join(ops.quote_name(c) for c in rollup.key)
    records = [(*key, *extra.get(key, ()), *sums) for key, sums in rows.items()]
    # Names come from rollups.py and models.COUNTERS; every value is a parameter.
    insert = f"INSERT INTO {rollup.table} ({quoted}) "
    upsert = f" ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array literal per column, bound on the server by a plain psycopg cursor on
            # the same connection (so the same transaction). Django's cursor binds on the
            # client, and a statement with thousands of placeholders costs more to build than
            # to run (as the click insert in tracking/clicks/store.py found too); psycopg's
            # own list dumper (%b) loops over every element in Python (a third of the ingest
            # profile). The literals are joined in C: numbers by int.__repr__, text and
            # buckets quoted once per distinct value (docs/performance.md, second push).
            types = [_pg_type(c, rollup.grain) for c in columns]
            arrays = ", ".join(f"%s::{pg_type}[]" for pg_type in types)
            params = [
                _array_literal(values, pg_type)
                for values, pg_type in zip(zip(*records, strict=True), types, strict=True)
            ]
            sql = f"{insert}SELECT * FROM unnest({arrays}){upsert}"  # noqa: S608
            with pg_cursor(connection) as raw:
                raw.execute(sql, params)
            return
        adapt = (
            ops.adapt_datetimefield_value if rollup.grain == "hour" else ops.adapt_datefield_value
        )
        row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
        # Stay under SQLite's limit on parameters per statement.
        per_statement = max(1, 30000 // len(columns))
        for start in range(0, len(records), per_statement):
            chunk = records[start : start + per_statement]
            params = [v for r in chunk for v in (adapt(r[0]), *r[1:])]
            cursor.execute(f"{insert}VALUES {', '.join([row_sql] * len(chunk))}{upsert}", params)


def _array_literal(values: tuple, pg_type: str) -> str:
    """A PostgreSQL array literal of `values` (bigint: ints; text: str; the bucket: a datetime
    or date), NULL for None. Text is always double-quoted, with backslash and quote escaped,
    so any string (a sub id with a comma, a brace, "NULL") is the element it is."""
    if pg_type == "bigint":
        if None in values:
            return "{" + ",".join("NULL" if v is None else int.__repr__(v) for v in values) + "}"
        return "{" + ",".join(map(int.__repr__, values)) + "}"
    spelled: dict[Any, str] = {None: "NULL"}
    for value in values:
        if value not in spelled:
            text = value if pg_type == "text" else value.isoformat()
            if not isinstance(text, str):
                raise TypeError(f"{pg_type} array element {value!r}")
            text = str.__str__(text)  # a TextChoices member: its value
            spelled[value] = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "{" + ",".join(map(spelled.__getitem__, values)) + "}"


def _pg_type(column: str, grain: str) -> str:
    if column == grain:
        return "timestamptz" if grain == "hour" else "date"
    if column in COUNTERS or DIMENSIONS[column] is None:
        return "bigint"
    return "text"


def _bucket(*, when: datetime, grain: str) -> Any:
    hour = when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return hour if grain == "hour" else hour.date()


def _offers(*, offer_ids: set[int]) -> dict[int, tuple[int, str]]:
    """Advertiser and currency per offer, copied onto rollup rows so reports need no join."""
    return {
        offer_id: (advertiser_id, currency)
        for offer_id, advertiser_id, currency in Offer.objects.filter(id__in=offer_ids).values_list(
            "id", "advertiser_id", "currency"
        )
    }


def _dims(
    *,
    offer_id: int,
    advertiser_id: int,
    currency: str,
    publisher_id: int,
    goal_id: int,
    country: str,
    device: str,
    subs: list[str],
    creative_id: int | None = None,
    landing_variant_id: int | None = None,
) -> dict[str, Any]:
    dims: dict[str, Any] = {
        "offer_id": offer_id,
        "advertiser_id": advertiser_id,
        "currency": currency,
        "publisher_id": publisher_id,
        "goal_id": goal_id,
        "country": (country or "")[:2],
        "device": (device or "")[:16],
    }
    for name, value in zip(SUB_VALUES, subs, strict=True):
        dims[name] = (value or "")[:255]
    dims["subs_key"] = _subs_key([dims[name] for name in SUB_VALUES])
    dims["creative_id"] = creative_id or 0
    dims["landing_variant_id"] = landing_variant_id or 0
    return dims


def _subs_key(values: list[str]) -> str:
    return hashlib.md5("\x1f".join(values).encode(), usedforsecurity=False).hexdigest()


def _conversion_dims(*, conversion: Conversion, place: Place | None) -> dict[str, Any]:
    country, device, creative_id, landing_variant_id = place or ("", "", None, None)
    dims = _dims(
        offer_id=conversion.offer_id,
        advertiser_id=conversion.advertiser_id,
        currency=conversion.currency,
        publisher_id=conversion.publisher_id,
        goal_id=conversion.goal_id,
        country=country,
        device=device,
        subs=[getattr(conversion, name) for name in SUB_VALUES],
        creative_id=creative_id,
        landing_variant_id=landing_variant_id,
    )
    dims["click_at"] = conversion.click_created_at.astimezone(UTC).isoformat()
    dims["at"] = (conversion.created_at or timezone.now()).astimezone(UTC).isoformat()
    return dims


def _conversion_facts(*, dims: dict[str, Any], state: dict[str, Any], sign: int) -> list[Fact]:
    counters: dict[str, int] = defaultdict(int)
    counters[state["status"]] = sign
    if state["status"] == _APPROVED:
        counters["revenue_micros"] = sign * state["revenue_micros"]
        counters["payout_micros"] = sign * state["payout_micros"]
        if state["sale_micros"] is not None:
            counters["sales"] = sign
            counters["sale_micros"] = sign * state["sale_micros"]
    counters = {name: value for name, value in counters.items() if name in CONVERSION_COUNTERS}
    by_click = {f"ct_{name}": value for name, value in counters.items()}
    by_conversion = {f"cv_{name}": value for name, value in counters.items()}
    return [
        (datetime.fromisoformat(dims["click_at"]), dims, by_click),
        (datetime.fromisoformat(dims["at"]), dims, by_conversion),
    ]


def _micros(amount: Decimal) -> int:
    return int(amount.scaleb(6))
