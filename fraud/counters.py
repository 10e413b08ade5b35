"""Windowed counts in Redis: clicks and conversions per address, device and publisher.

Each count is a sorted set of member ids (the click id, the inbox row id) scored by their time,
so adding the same click or callback twice (an ingester claiming back a batch, a batch retried)
counts it once, and a window is a ZCOUNT from the item's own time backwards: a backlog counts
what happened around the click, not around the worker's clock. One pipeline per batch.

Without Redis (the embedded mode) no count is known and the signals that read them are None.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import redis
from django.conf import settings

from fraud.signals import ClickFacts

MINUTE = 60
DAY = 24 * 3600
PREFIX = "fraud:"

_client: redis.Redis | None = None


def counters_client() -> redis.Redis | None:
    global _client
    if not settings.REDIS_URL:
        return None
    if _client is None:
        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
    return _client


def device_key(click: ClickFacts) -> str:
    """The address and user agent together: the nearest thing to a device we see."""
    agent = hashlib.blake2b(click.user_agent.encode(), digest_size=8).hexdigest()
    return f"{click.ip}|{agent}"


# The batch's commands go to Redis as lines of text run by one script (in calls of up to CHUNK
# lines, so no call holds Redis for long), in the order a pipeline would send them: every add,
# then every count, then each touched key's trim and expiry. A pipeline costs the worker about
# ten packed and parsed commands a click; this costs it two short lines of text.
# Lines, fields split by TAB: "A key time member" (ZADD), "C key time windows" (a ZCOUNT from
# time - window to time for each comma-separated window, replies returned), "T key before ttl"
# (ZREMRANGEBYSCORE -inf..before, EXPIRE ttl). Times travel as Python's repr of the float and
# bounds go to Redis with 17 significant digits, so every score and bound is the very double a
# pipeline would send (IEEE subtraction in Lua as in Python). The
# keys are built by this module from ids and addresses (no TAB or newline); the client is a
# single Redis (settings.REDIS_URL), not a cluster.
COUNT_SCRIPT = """
local out = {}
for line in string.gmatch(ARGV[1], "[^\\n]+") do
  local op, key, a, b = string.match(line, "^(%u)\\t([^\\t]*)\\t([^\\t]*)\\t(.*)$")
  if op == "A" then
    redis.call("ZADD", key, a, b)
  elseif op == "C" then
    local at = tonumber(a)
    local upper = string.format("%.17g", at)
    for window in string.gmatch(b, "[^,]+") do
      local lower = string.format("%.17g", at - tonumber(window))
      out[#out + 1] = redis.call("ZCOUNT", key, lower, upper)
    end
  elseif op == "T" then
    redis.call("ZREMRANGEBYSCORE", key, "-inf", a)
    redis.call("EXPIRE", key, b)
  end
end
return table.concat(out, ",")
"""
CHUNK = 1000  # lines per script call: about a third of a batch of clicks, a few ms of Redis

_script: Any = None


def _count_script(client: redis.Redis) -> Any:
    global _script
    if _script is None or _script.registered_client is not client:
        _script = client.register_script(COUNT_SCRIPT)
    return _script


def _count_batch(
    *, items: Sequence[tuple[float, str, list[tuple[str, list[int], bool]]]]
) -> list[dict[str, int]] | None:
    """For each (time, member, [(key, [windows in seconds], add?)]): add member to the keys
    marked so, then count each key over each window ending at time.
    Returns {f"{kind}@{window}": count}, kind being the key's second part."""
    client = counters_client()
    if client is None or not items:
        return None
    lines: list[str] = []
    counts: list[str] = []
    touched: dict[str, float] = {}
    for when, member, keys in items:
        at = repr(when)
        for key, windows, add in keys:
            if add:
                lines.append(f"A\t{key}\t{at}\t{member}")
                touched[key] = max(touched.get(key, 0.0), when)
            counts.append(f"C\t{key}\t{at}\t{','.join(map(str, windows))}")
    lines += counts
    for key, latest in touched.items():
        lines.append(f"T\t{key}\t{latest - DAY - MINUTE!r}\t{DAY + 3600}")
    script = _count_script(client)
    replies: list[int] = []
    try:
        for start in range(0, len(lines), CHUNK):
            reply = script(args=["\n".join(lines[start : start + CHUNK])])
            if reply:
                replies.extend(map(int, reply.split(b",")))
    except redis.RedisError:
        return None  # counting is advisory: a Redis away must not stop clicks or attribution
    found_counts = iter(replies)
    out: list[dict[str, int]] = []
    for _, _, keys in items:
        found: dict[str, int] = {}
        for key, windows, _ in keys:
            kind = key.split(":", 2)[1]
            for window in windows:
                found[f"{kind}@{window}"] = next(found_counts)
        out.append(found)
    return out


def click_counts(
    *, clicks: Sequence[ClickFacts], uncounted: frozenset[str] = frozenset()
) -> list[dict[str, int]]:
    """Per click: clicks from its address (same offer and publisher) in the last minute and
    day, and from its device (address + user agent) likewise; {} when unknown. Clicks whose
    id is in `uncounted` (test clicks) read the counts without adding to them."""
    items = []
    for click in clicks:
        if not click.ip:
            items.append((0.0, click.click_id, []))
            continue
        scope = f"{click.offer_id}:{click.publisher_id}"
        add = click.click_id not in uncounted
        items.append(
            (
                click.created_at.timestamp(),
                click.click_id,
                [
                    (f"{PREFIX}cip:{scope}:{click.ip}", [MINUTE, DAY], add),
                    (f"{PREFIX}cdev:{scope}:{device_key(click)}", [MINUTE, DAY], add),
                ],
            )
        )
    counted = _count_batch(items=items)
    return counted if counted is not None else [{} for _ in clicks]


def conversion_counts(
    *, items: Sequence[tuple[str, float, ClickFacts, int, bool]], add: bool = True
) -> list[dict[str, Any]]:
    """Per conversion (member, arrival time, its click, publisher, fast?): conversions from the
    click's address and device on the offer in the last day, and the publisher's conversions
    and fast conversions in the last day (fast: under FAST_SECONDS from click). `add` False
    (test conversions): read the counts, add nothing."""
    rows = []
    for member, when, click, publisher_id, fast in items:
        keys: list[tuple[str, list[int], bool]] = [
            (f"{PREFIX}pub:{publisher_id}", [DAY], add),
            (f"{PREFIX}pubfast:{publisher_id}", [DAY], fast and add),
        ]
        if click.ip:
            keys.append((f"{PREFIX}vip:{click.offer_id}:{click.ip}", [DAY], add))
            keys.append((f"{PREFIX}vdev:{click.offer_id}:{device_key(click)}", [DAY], add))
        rows.append((when, member, keys))
    counted = _count_batch(items=rows)
    return counted if counted is not None else [{} for _ in items]


def _hour(when: float) -> int:
    return int(when // 3600)


def sub_clicks_add(*, clicks: Sequence[ClickFacts]) -> None:
    """Count clicks per publisher and sub id (sub1) in hourly buckets (and "*": all of the
    publisher's), for the sub id anomaly. A batch claimed back counts twice: advisory."""
    client = counters_client()
    if client is None or not clicks:
        return
    counted: dict[tuple[int, int, str], int] = {}
    for click in clicks:
        hour = _hour(click.created_at.timestamp())
        for sub in (click.sub1, "*"):
            key = (click.publisher_id, hour, sub)
            counted[key] = counted.get(key, 0) + 1
    _hincr(client, "subc", counted)


def sub_conversions_add(*, items: Sequence[tuple[int, float, str]]) -> None:
    """The same for conversions: (publisher id, arrival time, sub1) each."""
    client = counters_client()
    if client is None or not items:
        return
    counted: dict[tuple[int, int, str], int] = {}
    for publisher_id, when, sub1 in items:
        for sub in (sub1, "*"):
            key = (publisher_id, _hour(when), sub)
            counted[key] = counted.get(key, 0) + 1
    _hincr(client, "subv", counted)


def _hincr(client: redis.Redis, kind: str, counted: dict[tuple[int, int, str], int]) -> None:
    pipe = client.pipeline(transaction=False)
    keys = set()
    for (publisher_id, hour, sub), amount in counted.items():
        key = f"{PREFIX}{kind}:{publisher_id}:{hour}"
        pipe.hincrby(key, sub, amount)
        keys.add(key)
    for key in keys:  # once a hash, not once a field
        pipe.expire(key, DAY + 2 * 3600)
    try:
        pipe.execute()
    except redis.RedisError:
        return


def sub_rates(
    *, wanted: set[tuple[int, str]], now: float
) -> dict[tuple[int, str], tuple[int, int]]:
    """(conversions, clicks) of the last day per (publisher, sub1) asked; sub "*" is the
    publisher's total. Empty without Redis."""
    client = counters_client()
    if client is None or not wanted:
        return {}
    hours = range(_hour(now) - 23, _hour(now) + 1)
    subs: dict[int, list[str]] = {}
    for publisher_id, sub in sorted(wanted):
        subs.setdefault(publisher_id, []).append(sub)
    # One HMGET per publisher, kind and hour, asking every sub id of the batch at once.
    asked = [
        (publisher_id, kind, hour)
        for publisher_id in subs
        for kind in ("subv", "subc")
        for hour in hours
    ]
    pipe = client.pipeline(transaction=False)
    for publisher_id, kind, hour in asked:
        pipe.hmget(f"{PREFIX}{kind}:{publisher_id}:{hour}", subs[publisher_id])
    try:
        replies = pipe.execute()
    except redis.RedisError:
        return {}
    totals: dict[tuple[int, str, str], int] = {}
    for (publisher_id, kind, _), values in zip(asked, replies, strict=True):
        for sub, value in zip(subs[publisher_id], values, strict=True):
            if value:
                totals[(publisher_id, sub, kind)] = totals.get((publisher_id, sub, kind), 0) + int(
                    value
                )
    return {
        (publisher_id, sub): (
            totals.get((publisher_id, sub, "subv"), 0),
            totals.get((publisher_id, sub, "subc"), 0),
        )
        for publisher_id, publisher_subs in subs.items()
        for sub in publisher_subs
    }
