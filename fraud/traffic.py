"""The built-in signals: velocity and repeats, timing, outcomes and the bot user agent.

Each reads what its batch prepared (`ctx.facts`, see fraud/counters.py and the attribution's
batch facts); the defaults here are the network's rules until a manager sets others
(fraud/rules.py). Volumes below a signal's minimum give None: too little to judge.
"""

from __future__ import annotations

from fraud.counters import DAY, MINUTE
from fraud.signals import SignalContext, signal

FAST_SECONDS = 10  # a conversion this soon after its click is "fast"
FAST_MIN_CONVERSIONS = 20
RATE_MIN_CONVERSIONS = 20
SUB_MIN_CLICKS = 20
SUB_MIN_CONVERSIONS = 5


def _count(ctx: SignalContext, key: str) -> int | None:
    value = ctx.facts.get(key)
    return None if value is None else int(value)


# Click stage: computed by the ingester, stored on the click.


@signal(
    "bot_user_agent",
    stage="click",
    threshold=True,
    action="reject",
    code="bot_click",
    description="the user agent is a known crawler or missing",
)
def bot_user_agent(ctx: SignalContext) -> bool:
    return ctx.click.is_bot


@signal(
    "ip_velocity",
    stage="click",
    threshold=10,
    action="hold",
    description="clicks from the address on this offer and publisher in the last minute",
)
def ip_velocity(ctx: SignalContext) -> int | None:
    return _count(ctx, f"cip@{MINUTE}")


@signal(
    "ip_ua_velocity",
    stage="click",
    threshold=10,
    action="hold",
    description="clicks from the address and user agent on this offer and publisher in the "
    "last minute",
)
def ip_ua_velocity(ctx: SignalContext) -> int | None:
    return _count(ctx, f"cdev@{MINUTE}")


@signal(
    "repeated_clicks_ip",
    stage="click",
    threshold=30,
    action="flag",
    description="clicks from the address on this offer and publisher in the last day",
)
def repeated_clicks_ip(ctx: SignalContext) -> int | None:
    return _count(ctx, f"cip@{DAY}")


@signal(
    "repeated_clicks_device",
    stage="click",
    threshold=20,
    action="flag",
    description="clicks from the address and user agent on this offer and publisher in the "
    "last day",
)
def repeated_clicks_device(ctx: SignalContext) -> int | None:
    return _count(ctx, f"cdev@{DAY}")


# Conversion stage: computed by attribution, stored on the conversion.


@signal(
    "repeated_conversions_ip",
    stage="conversion",
    threshold=5,
    action="hold",
    description="conversions on this offer from the click's address in the last day (this one "
    "included)",
)
def repeated_conversions_ip(ctx: SignalContext) -> int | None:
    return _count(ctx, f"vip@{DAY}")


@signal(
    "repeated_conversions_device",
    stage="conversion",
    threshold=5,
    action="hold",
    description="conversions on this offer from the click's address and user agent in the last "
    "day (this one included)",
)
def repeated_conversions_device(ctx: SignalContext) -> int | None:
    return _count(ctx, f"vdev@{DAY}")


@signal(
    "fast_conversion_share",
    stage="conversion",
    threshold=0.5,
    # Flagged by default: each conversion faster than its offer's min_click_to_conversion_seconds
    # is already rejected on its own; a manager raises this to hold where an offer's
    # conversions can never be that fast (installs, leads with a form).
    action="flag",
    description=f"share of the publisher's last day of conversions that came under "
    f"{FAST_SECONDS}s after their click (at least {FAST_MIN_CONVERSIONS} conversions)",
)
def fast_conversion_share(ctx: SignalContext) -> float | None:
    total = _count(ctx, f"pub@{DAY}")
    fast = _count(ctx, f"pubfast@{DAY}")
    if total is None or fast is None or total < FAST_MIN_CONVERSIONS:
        return None
    return round(fast / total, 4)


@signal(
    "country_mismatch",
    stage="conversion",
    threshold=True,
    action="flag",
    description="the callback's visitor address is in another country than the click's",
)
def country_mismatch(ctx: SignalContext) -> bool | None:
    there = ctx.facts.get("callback_country")
    if not there or not ctx.click.country:
        return None
    return there != ctx.click.country


def _rate(pair: tuple[int, int] | None, minimum: int) -> float | None:
    if not pair:
        return None
    bad, total = pair
    if total < minimum:
        return None
    return round(bad / total, 4)


@signal(
    "advertiser_rejection_rate",
    stage="conversion",
    threshold=0.5,
    action="hold",
    description=f"share of the publisher's conversions of the last 30 days the advertiser "
    f"rejected or reversed (at least {RATE_MIN_CONVERSIONS})",
)
def advertiser_rejection_rate(ctx: SignalContext) -> float | None:
    return _rate(ctx.facts.get("publisher_outcomes"), RATE_MIN_CONVERSIONS)


@signal(
    "sub_id_rejection_rate",
    stage="conversion",
    threshold=0.5,
    action="hold",
    description=f"the same for the publisher's sub id (sub1) (at least {RATE_MIN_CONVERSIONS})",
)
def sub_id_rejection_rate(ctx: SignalContext) -> float | None:
    return _rate(ctx.facts.get("sub_outcomes"), RATE_MIN_CONVERSIONS)


@signal(
    "sub_id_anomaly",
    stage="conversion",
    threshold=5.0,
    action="flag",
    description=f"the sub id's conversion rate over its publisher's, last day (at least "
    f"{SUB_MIN_CLICKS} clicks and {SUB_MIN_CONVERSIONS} conversions on the sub id)",
)
def sub_id_anomaly(ctx: SignalContext) -> float | None:
    sub = ctx.facts.get("sub_rate")  # (conversions, clicks) of the sub id
    pub = ctx.facts.get("publisher_rate")  # the same for the publisher
    if not sub or not pub:
        return None
    sub_conversions, sub_clicks = sub
    pub_conversions, pub_clicks = pub
    if sub_clicks < SUB_MIN_CLICKS or sub_conversions < SUB_MIN_CONVERSIONS:
        return None
    if not pub_clicks or not pub_conversions:
        return None
    return round((sub_conversions / sub_clicks) / (pub_conversions / pub_clicks), 2)
