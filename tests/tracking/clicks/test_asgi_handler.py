"""The async click handler (config.asgi): the same answers as the WSGI one, clicks in the same
stream, and Django behind it for every other path."""

import asyncio
import uuid

import pytest
import redis

from tests import factories
from tests.tracking.clicks.visits import ingest
from tracking.clicks import asgi as click_asgi
from tracking.clicks.aresp import AsyncResp, AsyncScript
from tracking.models import Click

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def needs_redis(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    click_asgi._client = click_asgi._append = None  # one client per event loop
    yield
    click_asgi._client = click_asgi._append = None


def _call(app, path: str, query: str = "", method: str = "GET") -> tuple[int, dict, bytes]:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [(b"user-agent", b"Mozilla/5.0 (X11) Firefox/130"), (b"host", b"testserver")],
        "client": ("198.51.100.4", 5555),
        "server": ("testserver", 80),
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }
    sent: list[dict] = []
    received = []

    async def receive():
        if received:  # the body was read: the client now just stays connected
            await asyncio.sleep(3600)
        received.append(True)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    headers = {name.decode(): value.decode() for name, value in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def test_a_click_through_the_async_handler_is_redirected_and_lands(settings):
    from config.asgi import application

    link = factories.TrackingLinkFactory()
    status, headers, body = _call(application, f"/c/{link.code}", "sub1=a%20b&source=x")
    assert status == 302 and body == b""
    assert headers["location"].startswith("https://shop.example/land?cid=")
    click_id = headers["set-cookie"].split(";")[0].split("=")[1]
    assert headers["location"] == f"https://shop.example/land?cid={click_id}"
    ingest()
    click = Click.objects.get()
    assert (click.click_id, click.sub1, click.source, click.ip) == (
        click_id,
        "a b",
        "x",
        "198.51.100.4",
    )


def test_the_async_handler_answers_404_405_and_the_pixel_and_hands_the_rest_to_django():
    from config.asgi import application

    link = factories.TrackingLinkFactory()
    assert _call(application, "/c/unknownCode1")[0] == 404
    assert _call(application, f"/c/{link.code}", method="POST")[0] == 405
    status, _, body = _call(application, f"/i/{link.code}")
    assert status == 200 and body.startswith(b"GIF89a")
    assert _call(application, "/api/v1/links/")[0] in (401, 403)


def test_a_redis_failure_falls_back_to_a_direct_write(settings):
    from config.asgi import application

    link = factories.TrackingLinkFactory()
    click_asgi._client = AsyncResp("redis://127.0.0.1:1/0")  # nothing listens there
    click_asgi._append = AsyncScript(click_asgi._client, "return {1, 0}")
    status, headers, _ = _call(application, f"/c/{link.code}")
    assert status == 302
    assert Click.objects.filter(click_id=headers["set-cookie"].split(";")[0][13:]).exists()


def test_concurrent_commands_are_pipelined_and_each_gets_its_reply(settings):
    key = f"affnet:test:{uuid.uuid4().hex}"

    async def run():
        client = AsyncResp(settings.REDIS_URL)
        replies = await asyncio.gather(*(client.call(b"INCR", key) for _ in range(500)))
        with pytest.raises(redis.ResponseError):
            await client.call(b"NOSUCHCOMMAND")
        script = AsyncScript(client, f"return '{uuid.uuid4().hex}'")
        assert await script([], []) == await script([], [])
        return replies

    assert sorted(asyncio.run(run())) == list(range(1, 501))
    redis.Redis.from_url(settings.REDIS_URL).delete(key)
