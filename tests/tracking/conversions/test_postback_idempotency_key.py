"""Every attempt of one publisher postback carries the same Idempotency-Key, and another
delivery a different one: delivery is at least once (a worker killed after the publisher
answered sends it again), and a publisher that keeps the key counts it once."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from tests import factories
from tracking.models import PostbackDelivery
from tracking.postbacks.services import deliveries_create, delivery_attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def publisher_server():
    seen: list[tuple[str, str]] = []
    statuses = [500, 200, 200]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((self.path, self.headers.get("Idempotency-Key", "")))
            self.send_response(statuses[min(len(seen), len(statuses)) - 1])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


@override_settings(POSTBACK_ALLOW_LOOPBACK=True)
def test_a_retried_postback_repeats_its_key_and_another_delivery_has_its_own(publisher_server):
    port, seen = publisher_server
    publisher = factories.PublisherFactory()
    factories.PostbackTemplateFactory(
        publisher=publisher, url=f"http://127.0.0.1:{port}/pb?c={{conversion_id}}"
    )
    first, second = (factories.ConversionFactory(publisher=publisher) for _ in range(2))
    [one] = deliveries_create(conversion_ids=[first.id])
    [two] = deliveries_create(conversion_ids=[second.id])

    assert delivery_attempt(delivery_id=one) is not None  # 500: retry scheduled
    PostbackDelivery.objects.filter(id=one).update(next_attempt_at=None)
    assert delivery_attempt(delivery_id=one) is None  # 200
    delivery_attempt(delivery_id=two)

    keys = [key for _path, key in seen]
    assert keys[0] == keys[1] != keys[2]
    assert all(keys)
