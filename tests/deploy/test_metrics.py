"""/metrics adds up what every process did, read at scrape time from Redis and PostgreSQL."""

import time
import uuid

import pytest
from celery import shared_task
from django.conf import settings
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from config.celery import app
from core.metrics import metric_incr, metric_observe, redis_client
from scripts.with_services import free_port
from tests import factories


def scrape(client, **extra) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def unique_name() -> str:
    # Counters live in the shared Redis db: a name of this test's own keeps tests independent.
    return f"test_{uuid.uuid4().hex[:12]}"


def test_counters_from_any_process_add_up_with_their_labels(client, db):
    name = unique_name()
    metric_incr(name)
    metric_incr(name, 4)
    metric_incr(name, reason="timeout")
    metric_incr(name, reason="timeout")
    samples = scrape(client)
    assert samples[(f"affnet_{name}_total", (("reason", ""),))] == 5
    assert samples[(f"affnet_{name}_total", (("reason", "timeout"),))] == 2


def test_observations_become_a_cumulative_histogram(client, db):
    name = unique_name()
    for seconds in (0.003, 0.2, 0.2, 7.0, 120.0):
        metric_observe(name, seconds)
    samples = scrape(client)
    assert samples[(f"affnet_{name}_bucket", (("le", "0.005"),))] == 1
    assert samples[(f"affnet_{name}_bucket", (("le", "0.25"),))] == 3
    assert samples[(f"affnet_{name}_bucket", (("le", "10.0"),))] == 4
    assert samples[(f"affnet_{name}_bucket", (("le", "+Inf"),))] == 5
    assert samples[(f"affnet_{name}_count", ())] == 5
    assert samples[(f"affnet_{name}_sum", ())] == pytest.approx(127.403)


def test_a_metric_name_outside_the_prometheus_alphabet_is_refused():
    with pytest.raises(ValueError, match="metric name"):
        metric_incr("clicks-per-second")


@override_settings(REDIS_URL=None)
def test_recording_a_metric_without_redis_is_a_no_op():
    metric_incr("clicks")
    metric_observe("attribution_seconds", 0.1)


def test_recording_a_metric_never_fails_its_caller_when_redis_is_down():
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):
        metric_incr("clicks")
        metric_observe("attribution_seconds", 0.1)


def test_gauges_show_inbox_backlog_and_conversions_by_status_from_postgresql(client, db):
    factories.CallbackInboxFactory()
    factories.CallbackInboxFactory()
    factories.ConversionFactory(status="approved")
    factories.ConversionFactory(status="approved")
    factories.ConversionFactory(status="rejected")
    samples = scrape(client)
    assert samples[("affnet_inbox_backlog", ())] == 2
    assert samples[("affnet_inbox_oldest_age_seconds", ())] >= 0
    assert samples[("affnet_conversions_last_hour", (("status", "approved"),))] == 2
    assert samples[("affnet_conversions_last_hour", (("status", "rejected"),))] == 1
    assert samples[("affnet_conversions_last_hour", (("status", "pending"),))] == 0
    assert samples[("affnet_up", (("component", "postgresql"),))] == 1
    assert samples[("affnet_up", (("component", "redis"),))] == 1


def test_the_click_stream_and_celery_queues_are_measured_in_redis(client, db):
    key, queue = f"test:clicks:{uuid.uuid4().hex}", f"test_q_{uuid.uuid4().hex[:8]}"
    r = redis_client()
    try:
        with override_settings(
            CLICK_STREAM_KEY=key,
            CLICK_STREAM_GROUP="ingest",
            CELERY_ALL_QUEUES=f"{settings.CELERY_ALL_QUEUES},{queue}",
        ):
            r.xgroup_create(key, "ingest", id="0", mkstream=True)
            for n in range(5):
                r.xadd(key, {"n": n})
            r.xreadgroup("ingest", "w1", {key: ">"}, count=2)
            for _ in range(3):
                app.send_task("tests.never_run", queue=queue)
            samples = scrape(client)
    finally:
        r.delete(key, queue)
    assert samples[("affnet_click_stream_entries_added_total", ())] == 5
    assert samples[("affnet_click_stream_length", ())] == 5
    assert samples[("affnet_click_stream_lag", ())] == 3
    assert samples[("affnet_click_stream_pending", ())] == 2
    assert samples[("affnet_celery_queue_length", (("queue", queue),))] == 3


def test_metrics_still_show_postgresql_figures_when_redis_is_down(client, db):
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):
        samples = scrape(client)
    assert samples[("affnet_up", (("component", "redis"),))] == 0
    assert samples[("affnet_up", (("component", "postgresql"),))] == 1
    assert ("affnet_inbox_backlog", ()) in samples


def test_metrics_are_refused_to_a_request_that_came_through_the_proxy(client, db):
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_metrics_are_refused_to_another_machine_without_a_token(client, db):
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 403


@override_settings(METRICS_TOKEN="s3cret-metrics-token")
def test_with_a_metrics_token_only_its_bearer_may_scrape_from_anywhere(client, db):
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "not_authenticated"
    scrape(client, REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")


@shared_task(name="tests.deploy.always_fails")
def always_fails() -> None:
    raise ValueError("this task fails on purpose")


def test_a_task_that_fails_in_a_real_worker_is_counted(client, celery_worker_thread):
    key = ("affnet_celery_task_failures_total", (("task", "tests.deploy.always_fails"),))
    before = scrape(client).get(key, 0)
    always_fails.delay()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and scrape(client).get(key, 0) == before:
        time.sleep(0.1)
    assert scrape(client).get(key, 0) == before + 1


def test_publisher_postback_failures_of_the_last_hour_are_shown_by_outcome(client, db):
    from django.utils import timezone

    from tracking.models import PostbackAttempt, PostbackDelivery

    conversion = factories.ConversionFactory(status="approved")
    template = factories.PostbackTemplateFactory(publisher=conversion.publisher)
    delivery = PostbackDelivery.objects.create(
        conversion=conversion,
        template=template,
        publisher=conversion.publisher,
        event="approved",
        url="https://pub.example/pb",
    )
    for number, outcome in enumerate(["timeout", "timeout", "http_error"], start=1):
        PostbackAttempt.objects.create(
            delivery=delivery, number=number, attempted_at=timezone.now(), outcome=outcome
        )
    samples = scrape(client)
    assert samples[("affnet_postback_deliveries_pending", ())] == 1
    assert samples[("affnet_postback_attempts_last_hour", (("outcome", "timeout"),))] == 2
    assert samples[("affnet_postback_attempts_last_hour", (("outcome", "http_error"),))] == 1
