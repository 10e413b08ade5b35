"""Limits on what an unauthenticated caller can make the callback and pixel paths do.

Three rates, each a fixed window counted in Redis with one round trip (INCR and EXPIRE in one
pipeline), so the limit holds across every web node:

- CALLBACK_RATE_ADDRESS, per client address: callbacks that store a row without proving who
  sent them (`auth_deferred`, the click not findable yet) or that fail authentication
  (`rejected_auth`). Over it they are answered 429 and nothing is stored. Callbacks that
  authenticate are never counted here: advertisers that post through a shared platform share
  its addresses, and one misconfigured sender must not cost the others their conversions.
  While PostgreSQL is down no callback can be told from its advertiser (all are deferred into
  the spool): those are counted per address at CALLBACK_RATE_ADVERTISER instead.
- CALLBACK_RATE_ADVERTISER, per advertiser: authenticated callbacks, high (month-end bursts are
  normal); over it 429 and nothing stored, with Retry-After.
- CALLBACK_RATE_PIXEL, per client address: every pixel (a pixel carries no credential). Over it
  the pixel still answers its GIF and stores nothing.

Concurrent requests of one process share one pipeline (tracking/group_commit.py): one INCRBY
per counter for the batch, each request given the count it would have had counted alone, in
order; so a busy node asks Redis once per batch, not once per callback.

The client address is the one core/proxy.py believes (our proxy's header from TRUSTED_PROXIES
only), as the callback request carries it. Once a process has seen a counter over its limit it
remembers that until the window ends, so a flood past the limit costs no round trip at all.

The limiter never stands between an advertiser and a stored callback because of our own fault:
when Redis cannot be reached it admits everything (fails open), logs that once, and tries Redis
again after a few seconds. The embedded mode (no REDIS_URL) has no limiter.

A callback also keeps at most CALLBACK_MAX_PARAMS parameters, each name and value at most
CALLBACK_MAX_PARAM_LENGTH characters: beyond that it is refused 400 (`too_many_parameters`,
`parameter_too_long`) rather than truncated, since attribution reads the kept parameters again
and a truncated callback would be a different callback. A pixel beyond it stores nothing.
"""

import logging
import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings

from core.errors import DomainError
from tracking.group_commit import GroupCommit

logger = logging.getLogger(__name__)

KEY_PREFIX = "affnet:rl:"
# After Redis failed, the limiter admits without asking it for this long.
REDIS_RETRY_SECONDS = 5.0
# The limiter's Redis calls wait this long at most: a callback is not held up by a slow Redis.
REDIS_TIMEOUT_SECONDS = 0.25
_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600}
_PERIODS["hour"] = 3600
_MEMO_MAX = 10_000


class RateLimitedError(DomainError):
    """Too many requests: answered 429 with a Retry-After of `retry_after` seconds."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__("rate_limited", message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    seconds: int


def rate_parse(value: str) -> Rate | None:
    """ "2000/s", "300/min", "10/h" -> Rate; "" -> None (no limit). Raises ValueError."""
    value = value.strip()
    if not value:
        return None
    count, _, period = value.partition("/")
    seconds = _PERIODS.get(period.strip().lower())
    if seconds is None or not count.strip().isdigit() or int(count) < 1:
        raise ValueError(f"{value!r} is not a rate such as 300/min or 2000/s")
    return Rate(int(count), seconds)


def retry_after_headers(error: Exception) -> tuple[tuple[str, str], ...]:
    """The headers an answer to `error` carries: Retry-After for a rate-limit refusal."""
    if isinstance(error, RateLimitedError):
        return (("Retry-After", str(error.retry_after)),)
    return ()


# -- the counter -------------------------------------------------------------------------------


class _Limiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: redis.Redis | None = None
        self._url: str | None = None
        self._down_until = 0.0
        # counter key -> wall time its window ends, for counters seen over their limit.
        self._over: dict[str, float] = {}
        self._counts: GroupCommit[tuple[redis.Redis, str, int], int] = GroupCommit(
            _counts_add,
            follower_error=lambda exc: redis.RedisError(f"batch failed: {exc!r}"),
            item_error=lambda exc: False,
        )

    def client(self) -> redis.Redis | None:
        url = settings.REDIS_URL
        if not url:
            return None
        if self._client is None or self._url != url:
            with self._lock:
                if self._client is None or self._url != url:
                    self._client = redis.Redis.from_url(
                        url,
                        socket_timeout=REDIS_TIMEOUT_SECONDS,
                        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                    )
                    self._url = url
                    self._down_until = 0.0
        return self._client

    def take(self, *, scope: str, ident: str, rate: Rate | None) -> int | None:
        """Count one request; None when admitted, else seconds until the window ends."""
        if rate is None:
            return None
        now = time.time()
        window = int(now // rate.seconds)
        ends = (window + 1) * rate.seconds
        key = f"{KEY_PREFIX}{scope}:{ident}:{window}"
        if self._over.get(key, 0.0) > now:
            return max(1, math.ceil(ends - now))
        client = self.client()
        if client is None or self._down_until > time.monotonic():
            return None
        try:
            count = self._counts.call((client, key, rate.seconds))
        except redis.RedisError as exc:
            self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
            logger.warning(
                "callback rate limiter: Redis unavailable, admitting without a limit for %ss: %s",
                REDIS_RETRY_SECONDS,
                exc,
            )
            return None
        if int(count) <= rate.count:
            return None
        if len(self._over) > _MEMO_MAX:
            self._over = {k: until for k, until in self._over.items() if until > now}
            if len(self._over) > _MEMO_MAX:
                self._over.clear()
        self._over[key] = ends
        return max(1, math.ceil(ends - now))

    def reset(self) -> None:
        """Forget the client and what this process remembers (tests)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = None
            self._url = None
            self._down_until = 0.0
            self._over.clear()


def _counts_add(items: Sequence[tuple[redis.Redis, str, int]]) -> list[int]:
    """Count each item once (INCRBY per counter, EXPIRE as each INCR did), one pipeline per
    client; each item gets the count one INCR of its own would have returned, in order."""
    counts: list[int] = [0] * len(items)
    for client in {id(item[0]): item[0] for item in items}.values():
        mine = [index for index, item in enumerate(items) if item[0] is client]
        added: dict[str, int] = {}
        seconds: dict[str, int] = {}
        for index in mine:
            _, key, period = items[index]
            added[key] = added.get(key, 0) + 1
            seconds[key] = period
        pipe = client.pipeline(transaction=False)
        for key, number in added.items():
            if number == 1:
                pipe.incr(key)
            else:
                pipe.incrby(key, number)
            pipe.expire(key, seconds[key] + 1)
        replies = pipe.execute()
        reached = {key: int(replies[2 * n]) - added[key] for n, key in enumerate(added)}
        for index in mine:
            key = items[index][1]
            reached[key] += 1
            counts[index] = reached[key]
    return counts


_limiter = _Limiter()


def limits_reset() -> None:
    _limiter.reset()


# -- what the endpoints ask --------------------------------------------------------------------


def callback_params_bound(*, params: Mapping[str, str]) -> None:
    """Refuse (400) a callback with more parameters, or longer ones, than we keep."""
    most = settings.CALLBACK_MAX_PARAMS
    if len(params) > most:
        raise DomainError(
            "too_many_parameters",
            f"A callback may send at most {most} parameters; this one sent {len(params)}.",
        )
    longest = settings.CALLBACK_MAX_PARAM_LENGTH
    for name, value in params.items():
        if len(name) > longest or len(value) > longest:
            label = name[:40]
            raise DomainError.for_field(
                label,
                "parameter_too_long",
                f"Each parameter name and value is at most {longest} characters.",
            )


def callback_admit(*, row: Any, outage: bool = False) -> None:
    """Count a callback about to be stored (an unsaved CallbackInbox row); raise
    RateLimitedError (429) when its caller is over its limit, before anything is stored.

    Deferred and refused rows count against their client address, authenticated ones against
    their advertiser. During a PostgreSQL outage (`outage`) the advertiser cannot be told, so
    every callback is deferred: those count against their address at the advertiser's rate,
    not the unauthenticated one, so an advertiser's normal traffic is still spooled.
    """
    if row.auth_deferred or row.state == "rejected_auth":
        rate = rate_parse(
            settings.CALLBACK_RATE_ADVERTISER if outage else settings.CALLBACK_RATE_ADDRESS
        )
        wait = _limiter.take(
            scope="spool" if outage else "cb", ident=row.remote_ip or "-", rate=rate
        )
        if wait is not None:
            raise RateLimitedError(
                "Too many unauthenticated or failed callbacks from this address: nothing was"
                " stored. Authenticate each callback (send offer_id with the token or"
                " signature) or retry later.",
                retry_after=wait,
            )
        return
    wait = _limiter.take(
        scope="adv",
        ident=str(row.advertiser_id),
        rate=rate_parse(settings.CALLBACK_RATE_ADVERTISER),
    )
    if wait is not None:
        raise RateLimitedError(
            "Too many callbacks for this advertiser: this one was not stored. Retry it after"
            " Retry-After seconds.",
            retry_after=wait,
        )


def pixel_admit(*, params: Mapping[str, str], remote_ip: str | None) -> bool:
    """May this pixel be stored? False over the address's pixel rate or the parameter bound
    (the pixel still answers its GIF)."""
    try:
        callback_params_bound(params=params)
    except DomainError:
        return False
    wait = _limiter.take(
        scope="px", ident=remote_ip or "-", rate=rate_parse(settings.CALLBACK_RATE_PIXEL)
    )
    return wait is None
