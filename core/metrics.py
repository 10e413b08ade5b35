"""Prometheus metrics that add up across every web process, worker and machine.

Web nodes run several processes each and workers run on many machines, so per-process
in-memory counters would need prometheus-client's multi-process mode and a shared directory
per machine. Instead, everything /metrics shows is read at scrape time from the two places
every process already shares:

- PostgreSQL and Redis state (stream lag, inbox backlog, queue lengths, conversions by status,
  batch totals): see ops/metrics.py; nothing to call, it is computed from the truth.
- Counters and histograms kept in Redis, which any process bumps cheaply:

      from core.metrics import metric_incr, metric_observe

      metric_incr("postback_failures", reason="timeout")   # -> affnet_postback_failures_total
      metric_observe("attribution_seconds", 0.042)         # -> affnet_attribution_seconds

  One Redis round trip each (pipelined), a no-op without Redis (embedded mode), and a metric
  never fails its caller: a Redis error is swallowed and logged at DEBUG. On the click path,
  prefer what is already counted for free: clicks/s is the click stream's own `entries-added`
  counter (affnet_click_stream_entries_added_total), so the redirect pays no extra round trip.

Celery task failures and retries are counted by signal handlers connected at start-up
(config/apps.py), as affnet_celery_task_failures_total{task} and ..._retries_total{task}.
"""

import logging
import re
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

COUNTERS_KEY = "affnet:metrics:counters"
HISTOGRAM_KEY_PREFIX = "affnet:metrics:hist:"
# Seconds; wide enough for "a callback waited for its click to leave the buffer".
HISTOGRAM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_clients: dict[str, redis.Redis] = {}


def redis_client(url: str | None = None) -> redis.Redis | None:
    """A Redis client for operational reads and metric writes, with short timeouts.

    Short timeouts because a metric write or a health probe must not hang a request when Redis
    is slow; the click buffer has its own client and its own rules.
    """
    url = url if url is not None else settings.REDIS_URL
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        _clients[url] = client
    return client


def _field(name: str, labels: dict[str, Any]) -> str:
    if not _NAME.match(name):
        raise ValueError(f"metric name {name!r} must match {_NAME.pattern}")
    if not labels:
        return name
    for key in labels:
        if not _NAME.match(key):
            raise ValueError(f"metric label {key!r} must match {_NAME.pattern}")
    # "|" and "," and "=" cannot appear in names; values are kept as they are, minus separators.
    encoded = ",".join(
        f"{key}={str(value).replace(',', '_').replace('|', '_')}"
        for key, value in sorted(labels.items())
    )
    return f"{name}|{encoded}"


def field_parse(field: str) -> tuple[str, dict[str, str]]:
    """The (name, labels) a stored counter field stands for; the inverse of the encoding."""
    name, _, encoded = field.partition("|")
    labels = dict(pair.split("=", 1) for pair in encoded.split(",")) if encoded else {}
    return name, labels


def metric_incr(name: str, amount: int = 1, **labels: Any) -> None:
    """Add `amount` to the counter affnet_<name>_total{labels} shared by all processes."""
    field = _field(name, labels)
    client = redis_client()
    if client is None:
        return
    try:
        client.hincrby(COUNTERS_KEY, field, amount)
    except redis.RedisError as exc:
        logger.debug("metric %s not recorded: %s", field, exc)


def metric_observe(name: str, value: float, **labels: Any) -> None:
    """Record one observation (seconds) in the histogram affnet_<name>{labels}."""
    field = _field(name, labels)
    client = redis_client()
    if client is None:
        return
    bucket = next((str(le) for le in HISTOGRAM_BUCKETS if value <= le), "+Inf")
    key = HISTOGRAM_KEY_PREFIX + field
    try:
        pipe = client.pipeline(transaction=False)
        pipe.hincrby(key, bucket, 1)
        pipe.hincrbyfloat(key, "sum", value)
        pipe.execute()
    except redis.RedisError as exc:
        logger.debug("metric %s not recorded: %s", field, exc)


def celery_task_failed(sender: Any = None, **_: Any) -> None:
    metric_incr("celery_task_failures", task=getattr(sender, "name", "unknown"))


def celery_task_retried(sender: Any = None, **_: Any) -> None:
    metric_incr("celery_task_retries", task=getattr(sender, "name", "unknown"))
