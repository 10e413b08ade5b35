"""What /metrics shows, computed at scrape time from PostgreSQL and Redis, and the view.

The counters and histograms any process adds to live in core/metrics.py; this module reads
them, and the tables of tracking and payouts, when Prometheus scrapes.

Gauges read from the truth add up across processes and machines for free, and a scrape every
15-60 s costs a handful of indexed queries. Each source is read on its own: when PostgreSQL is
down the Redis figures still show, and `affnet_up{component}` says which source failed.
"""

import hmac
import ipaddress
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import redis
from django.apps import apps
from django.conf import settings
from django.db import Error as DatabaseError
from django.db import connection
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from core.errors import error_body
from core.metrics import (
    COUNTERS_KEY,
    HISTOGRAM_BUCKETS,
    HISTOGRAM_KEY_PREFIX,
    field_parse,
    redis_client,
)
from core.streams import click_stream_state

logger = logging.getLogger(__name__)

# kombu's Redis transport keeps one list per queue and priority step (kombu PRIORITY_STEPS).
_KOMBU_PRIORITY_SEP = "\x06\x16"
_KOMBU_PRIORITY_STEPS = (0, 3, 6, 9)


class AffnetCollector:
    """A prometheus-client custom collector; one instance per scrape."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "affnet_up", "1 when the source could be read during this scrape.", labels=["component"]
        )
        client = redis_client()
        if client is not None:
            try:
                yield from self._redis_metrics(client)
                up.add_metric(["redis"], 1)
            except redis.RedisError as exc:
                logger.warning("metrics: Redis unreadable: %s", exc)
                up.add_metric(["redis"], 0)
        try:
            yield from self._database_metrics()
            up.add_metric(["postgresql"], 1)
        except DatabaseError as exc:
            logger.warning("metrics: database unreadable: %s", exc)
            up.add_metric(["postgresql"], 0)
        yield up

    # Redis ------------------------------------------------------------------------------------

    def _redis_metrics(self, client: redis.Redis) -> Iterator[Metric]:
        metrics: list[Metric] = []
        metrics.extend(_stored_counters(client))
        metrics.extend(_stored_histograms(client))

        stream = click_stream_state(client=client)
        added = CounterMetricFamily(
            "affnet_click_stream_entries_added",
            "Clicks appended to the click buffer stream since it was created (rate() = clicks/s).",
        )
        length = GaugeMetricFamily("affnet_click_stream_length", "Entries in the click stream.")
        lag = GaugeMetricFamily(
            "affnet_click_stream_lag",
            "Clicks appended but not yet read by the ingest group.",
        )
        pending = GaugeMetricFamily(
            "affnet_click_stream_pending",
            "Clicks read by an ingester but not yet acknowledged (written to PostgreSQL).",
        )
        added.add_metric([], stream.entries_added)
        length.add_metric([], stream.length)
        lag.add_metric([], stream.lag)
        pending.add_metric([], stream.pending)
        metrics += [added, length, lag, pending]

        queues = GaugeMetricFamily(
            "affnet_celery_queue_length", "Tasks waiting in a Celery queue.", labels=["queue"]
        )
        names = [q for q in settings.CELERY_ALL_QUEUES.split(",") if q]
        pipe = client.pipeline(transaction=False)
        for queue in names:
            for step in _KOMBU_PRIORITY_STEPS:
                pipe.llen(queue if step == 0 else f"{queue}{_KOMBU_PRIORITY_SEP}{step}")
        sizes = pipe.execute()
        steps = len(_KOMBU_PRIORITY_STEPS)
        for index, queue in enumerate(names):
            queues.add_metric([queue], sum(sizes[index * steps : (index + 1) * steps]))
        metrics.append(queues)

        info = client.info("memory")
        memory = GaugeMetricFamily("affnet_redis_used_memory_bytes", "Redis used_memory.")
        memory.add_metric([], info.get("used_memory", 0))
        limit = GaugeMetricFamily(
            "affnet_redis_maxmemory_bytes", "Redis maxmemory (0: no limit: watch the host)."
        )
        limit.add_metric([], info.get("maxmemory", 0))
        metrics += [memory, limit]
        # Everything was read before anything is yielded, so a Redis error mid-way drops the
        # whole Redis part of the scrape instead of leaving half of it.
        yield from metrics

    # PostgreSQL -------------------------------------------------------------------------------

    def _database_metrics(self) -> Iterator[Metric]:
        metrics: list[Metric] = []
        now = timezone.now()
        Click = apps.get_model("tracking", "Click")
        CallbackInbox = apps.get_model("tracking", "CallbackInbox")
        Conversion = apps.get_model("tracking", "Conversion")

        clicks = GaugeMetricFamily(
            "affnet_clicks_written_last_minute",
            "Clicks in PostgreSQL whose time is within the last minute (ingest keeps up?).",
        )
        clicks.add_metric(
            [], Click.objects.filter(created_at__gte=now - timedelta(minutes=1)).count()
        )
        metrics.append(clicks)

        backlog_qs = CallbackInbox.objects.filter(state=CallbackInbox.State.RECEIVED)
        backlog = GaugeMetricFamily(
            "affnet_inbox_backlog", "Callbacks stored but not yet processed by attribution."
        )
        backlog.add_metric([], backlog_qs.count())
        oldest = backlog_qs.order_by("id").values_list("received_at", flat=True).first()
        oldest_age = GaugeMetricFamily(
            "affnet_inbox_oldest_age_seconds", "Age of the oldest unprocessed callback (0: none)."
        )
        oldest_age.add_metric([], (now - oldest).total_seconds() if oldest else 0)
        metrics += [backlog, oldest_age]

        metrics.append(_attribution_latency(now))

        by_status = GaugeMetricFamily(
            "affnet_conversions_last_hour",
            "Conversions created in the last hour, by status.",
            labels=["status"],
        )
        counts = dict(
            Conversion.objects.filter(created_at__gte=now - timedelta(hours=1))
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        for status in Conversion.Status.values:
            by_status.add_metric([status], counts.get(status, 0))
        metrics.append(by_status)

        metrics.extend(_postback_metrics(now))
        metrics.extend(_batch_totals())
        yield from metrics


def _stored_counters(client: redis.Redis) -> list[Metric]:
    families: dict[str, CounterMetricFamily] = {}
    raw = client.hgetall(COUNTERS_KEY)
    grouped: dict[str, list[tuple[dict[str, str], int]]] = {}
    for field, value in raw.items():
        name, labels = field_parse(field.decode())
        grouped.setdefault(name, []).append((labels, int(value)))
    for name, samples in sorted(grouped.items()):
        label_names = sorted({key for labels, _ in samples for key in labels})
        family = CounterMetricFamily(
            f"affnet_{name}", f"Counted by metric_incr({name!r}).", labels=label_names
        )
        for labels, value in samples:
            family.add_metric([labels.get(key, "") for key in label_names], value)
        families[name] = family
    return list(families.values())


def _stored_histograms(client: redis.Redis) -> list[Metric]:
    keys = sorted(client.scan_iter(match=HISTOGRAM_KEY_PREFIX + "*", count=100))
    if not keys:
        return []
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hgetall(key)
    grouped: dict[str, list[tuple[dict[str, str], dict[bytes, bytes]]]] = {}
    for key, raw in zip(keys, pipe.execute(), strict=True):
        name, labels = field_parse(key.decode().removeprefix(HISTOGRAM_KEY_PREFIX))
        grouped.setdefault(name, []).append((labels, raw))
    families: list[Metric] = []
    for name, samples in sorted(grouped.items()):
        label_names = sorted({key for labels, _ in samples for key in labels})
        family = HistogramMetricFamily(
            f"affnet_{name}", f"Observed by metric_observe({name!r}).", labels=label_names
        )
        for labels, raw in samples:
            cumulative = 0
            buckets: list[tuple[str, float]] = []
            for le in (*(str(b) for b in HISTOGRAM_BUCKETS), "+Inf"):
                cumulative += int(raw.get(le.encode(), 0))
                buckets.append((le, cumulative))
            family.add_metric(
                [labels.get(key, "") for key in label_names],
                buckets,
                sum_value=float(raw.get(b"sum", 0)),
            )
        families.append(family)
    return families


def _attribution_latency(now: Any) -> Metric:
    """From callback received to processed, over the last five minutes, at p50/p95/max.

    Read from the inbox rows themselves so it needs no cooperation from the attribution code.
    """
    latency = GaugeMetricFamily(
        "affnet_attribution_latency_seconds",
        "Callback received -> processed, over callbacks processed in the last 5 minutes.",
        labels=["quantile"],
    )
    since = now - timedelta(minutes=5)
    if connection.vendor == "postgresql":
        sql = (
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), "
            "percentile_cont(0.95) WITHIN GROUP (ORDER BY d), max(d) FROM ("
            "  SELECT extract(epoch FROM processed_at - received_at) AS d"
            "  FROM tracking_callbackinbox WHERE processed_at >= %s"
            ") AS t"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [since])
            p50, p95, high = cursor.fetchone()
    else:
        p50 = p95 = high = None
    for quantile, value in (("0.5", p50), ("0.95", p95), ("1", high)):
        latency.add_metric([quantile], float(value or 0))
    return latency


# attempted_at has no index: look at the newest attempts by primary key only, so a scrape stays
# cheap however long the attempt log grows. More than this many attempts an hour shows as this.
POSTBACK_ATTEMPTS_WINDOW = 50_000


def _postback_metrics(now: Any) -> list[Metric]:
    """Publisher postbacks: deliveries waiting, and the last hour's attempts by outcome."""
    try:
        PostbackDelivery = apps.get_model("tracking", "PostbackDelivery")
        PostbackAttempt = apps.get_model("tracking", "PostbackAttempt")
    except LookupError:
        return []
    pending = GaugeMetricFamily(
        "affnet_postback_deliveries_pending", "Publisher postbacks waiting for (another) attempt."
    )
    pending.add_metric([], PostbackDelivery.objects.filter(status="pending").count())
    attempts = GaugeMetricFamily(
        "affnet_postback_attempts_last_hour",
        "Publisher postback attempts in the last hour by outcome (ok, http_error, timeout, ...).",
        labels=["outcome"],
    )
    newest = PostbackAttempt.objects.order_by("-id").values("id")[:POSTBACK_ATTEMPTS_WINDOW]
    rows = (
        PostbackAttempt.objects.filter(id__in=newest, attempted_at__gte=now - timedelta(hours=1))
        .values_list("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    for outcome, n in rows:
        attempts.add_metric([outcome], n)
    return [pending, attempts]


def _batch_totals() -> list[Metric]:
    """Payout batch totals by status and currency, once the payouts app has batches."""
    try:
        PayoutBatch = apps.get_model("payouts", "PayoutBatch")
    except LookupError:
        return []
    fields = {f.name for f in PayoutBatch._meta.get_fields()}
    if not {"status", "currency", "total"} <= fields:
        return []
    count = GaugeMetricFamily(
        "affnet_payout_batches", "Payout batches by status.", labels=["status", "currency"]
    )
    total = GaugeMetricFamily(
        "affnet_payout_batch_total",
        "Sum of payout batch totals by status and currency (in currency units).",
        labels=["status", "currency"],
    )
    rows = PayoutBatch.objects.values("status", "currency").annotate(n=Count("id"), t=Sum("total"))
    for row in rows:
        count.add_metric([row["status"], row["currency"]], row["n"])
        total.add_metric([row["status"], row["currency"]], float(row["t"] or 0))
    return [count, total]


def _loopback_direct(request: HttpRequest) -> bool:
    """A request from this machine that did not come through a proxy.

    Behind nginx every request arrives from loopback, so loopback alone proves nothing: a
    forwarded request (nginx always sets X-Forwarded-For, deploy/nginx) is not direct.
    """
    if "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_X_REAL_IP" in request.META:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition. With METRICS_TOKEN set: `Authorization: Bearer <token>` required;
    without it: open to direct loopback requests only (a Prometheus agent on the same host)."""
    token = settings.METRICS_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return JsonResponse(
                error_body("not_authenticated", "A valid metrics bearer token is required."),
                status=401,
            )
    elif not _loopback_direct(request):
        return JsonResponse(
            error_body(
                "forbidden", "Metrics are served to loopback only unless METRICS_TOKEN is set."
            ),
            status=403,
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AffnetCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
