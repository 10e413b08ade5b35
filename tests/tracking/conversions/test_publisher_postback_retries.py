"""A publisher postback end to end, on a real worker and a real local HTTP server that fails,
then succeeds: every attempt is logged and readable by the publisher, and can be re-sent."""

import time

from django.core.cache import cache
from django.test import override_settings

from tests import factories
from tests.conftest import client_for
from tests.tracking.conversions.conftest import SECRET, world_build
from tests.tracking.conversions.servers import scripted_http
from tracking.attribution import queue
from tracking.attribution.queue import KICK_KEY
from tracking.models import PostbackDelivery


def _wait_for(predicate, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@override_settings(POSTBACK_ALLOW_LOOPBACK=True, POSTBACK_RETRY_BASE_SECONDS=0.05)
def test_a_postback_is_retried_until_the_publisher_answers_then_logged(celery_worker_thread):
    cache.delete(KICK_KEY)
    queue._last_kick = 0.0  # no kick of an earlier test holds this one back
    world = world_build()
    answers = [(500, {}, b"down"), (503, {}, b"busy"), (200, {}, b"OK thanks")]
    with scripted_http(answers) as server:
        factories.PostbackTemplateFactory(
            publisher=world.publisher,
            url=f"http://127.0.0.1:{server['port']}/pb?cid={{click_id}}&p={{payout}}&s={{aff_sub}}",
        )
        # The callback goes through the endpoint; the worker attributes it, then calls back.
        web = client_for(factories.ManagerFactory())
        response = web.get("/postback", {"click_id": world.click.click_id, "token": SECRET})
        assert response.status_code == 200

        _wait_for(lambda: PostbackDelivery.objects.filter(status="sent").exists())
        assert [path for path, _ in server["requests"]] == [
            f"/pb?cid={world.click.click_id}&p=7&s=s1"
        ] * 3
        assert server["requests"][0][1] == f"127.0.0.1:{server['port']}"

    delivery = PostbackDelivery.objects.get()
    assert delivery.attempts == 3
    log = list(delivery.log.values_list("number", "status_code", "outcome", "response_excerpt"))
    assert log == [
        (1, 500, "http_error", "down"),
        (2, 503, "http_error", "busy"),
        (3, 200, "ok", "OK thanks"),
    ]

    publisher_api = client_for(factories.PublisherUserFactory(publisher=world.publisher))
    listed = publisher_api.get("/api/v1/postback-deliveries/").json()["results"]
    assert [a["status_code"] for a in listed[0]["log"]] == [500, 503, 200]
    stranger_api = client_for(factories.PublisherUserFactory())
    assert stranger_api.get("/api/v1/postback-deliveries/").json()["results"] == []


@override_settings(
    POSTBACK_ALLOW_LOOPBACK=True, POSTBACK_RETRY_BASE_SECONDS=0.01, POSTBACK_MAX_ATTEMPTS=2
)
def test_a_postback_that_keeps_failing_stops_after_the_last_attempt_and_can_be_resent(
    celery_worker_thread,
):
    world = world_build()
    conversion = factories.ConversionFactory(
        publisher=world.publisher, goal=world.goal, click_id=world.click.click_id
    )
    with scripted_http([(500, {}, b"no"), (500, {}, b"no"), (200, {}, b"yes")]) as server:
        factories.PostbackTemplateFactory(
            publisher=world.publisher, url=f"http://127.0.0.1:{server['port']}/x"
        )
        from tracking.tasks.postbacks import postbacks_for_conversions

        postbacks_for_conversions.delay(conversion_ids=[conversion.id])
        _wait_for(lambda: PostbackDelivery.objects.filter(status="failed").exists())
        delivery = PostbackDelivery.objects.get()
        assert delivery.attempts == 2

        publisher_api = client_for(factories.PublisherUserFactory(publisher=world.publisher))
        response = publisher_api.post(f"/api/v1/postback-deliveries/{delivery.id}/resend/")
        assert response.status_code == 202, response.content
        _wait_for(lambda: PostbackDelivery.objects.filter(status="sent").exists())
    assert [a.status_code for a in PostbackDelivery.objects.get().log.all()] == [500, 500, 200]
