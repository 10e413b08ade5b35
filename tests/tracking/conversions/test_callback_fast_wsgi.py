"""The callback paths as served in production: config.wsgi's lean handler in front of Django
(tracking/callbacks/wsgi.py), called as a WSGI server calls it, on committed data."""

import io
import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection

from tests.tracking.conversions.conftest import SECRET, drain, world_build
from tracking.callbacks.views import PIXEL_GIF
from tracking.callbacks.wsgi import callback_paths_first
from tracking.models import CallbackInbox, Conversion

pytestmark = pytest.mark.django_db(transaction=True)


def serve(
    app,
    path: str,
    params: dict | None = None,
    *,
    method: str = "GET",
    body: bytes = b"",
    content_type: str | None = None,
    **extra: str,
) -> tuple[int, dict[str, str], bytes]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": urlencode(params or {}),
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_HOST": "testserver",
        "HTTP_USER_AGENT": "advertiser-server/1.0",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        **extra,
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    seen: dict = {}

    def start_response(status: str, headers: list) -> None:
        seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)

    answer = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], answer


@pytest.fixture
def app():
    from config.wsgi import application

    return application


@pytest.fixture
def lean_only():
    """The lean handler with a Django behind it that must not be reached."""

    def django_app(environ, start_response):
        raise AssertionError(
            f"Django was asked for {environ['REQUEST_METHOD']} {environ['PATH_INFO']}"
        )

    return callback_paths_first(django_app)


def test_an_accepted_callback_answers_200_with_the_id_of_its_committed_row(lean_only):
    world = world_build()
    status, headers, body = serve(
        lean_only, "/postback", {"click_id": world.click.click_id, "txn_id": "A1", "token": SECRET}
    )
    assert (status, headers["Content-Type"]) == (200, "application/json")
    answer = json.loads(body)
    assert answer["status"] == "accepted"
    row = CallbackInbox.objects.get(pk=answer["id"])
    assert (row.state, row.advertiser_id, row.remote_ip) == (
        "received",
        world.advertiser.id,
        "203.0.113.9",
    )
    assert "token" not in row.params and row.params["txn_id"] == "A1"
    assert row.headers == {"User-Agent": "advertiser-server/1.0"}
    drain()
    assert Conversion.objects.get().advertiser_txn_id == "A1"


def test_the_answer_carries_the_security_headers_django_would_add(lean_only):
    world = world_build()
    _, headers, body = serve(
        lean_only, "/postback", {"click_id": world.click.click_id, "token": SECRET}
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Length"] == str(len(body))


def test_a_bad_click_id_answers_400_and_stores_nothing(lean_only):
    world_build()
    status, _, body = serve(lean_only, "/postback", {"click_id": "not-a-click", "token": SECRET})
    assert status == 400
    assert json.loads(body)["error"]["code"] == "click_id_invalid"
    status, _, body = serve(lean_only, "/postback", {"token": SECRET})
    assert (status, json.loads(body)["error"]["code"]) == (400, "click_id_missing")
    assert not CallbackInbox.objects.exists()


def test_a_wrong_token_answers_403_and_keeps_the_rejected_row(lean_only):
    world = world_build()
    status, _, body = serve(
        lean_only, "/postback", {"click_id": world.click.click_id, "token": "guess"}
    )
    assert (status, json.loads(body)["error"]["code"]) == (403, "bad_token")
    row = CallbackInbox.objects.get()
    assert (row.state, row.result) == ("rejected_auth", "bad_token")
    drain()
    assert not Conversion.objects.exists()


def test_a_tune_callback_answers_in_plain_text(lean_only):
    world = world_build()
    params = {"transaction_id": world.click.click_id, "adv_sub": "T-1", "security_token": SECRET}
    status, headers, body = serve(lean_only, "/aff_lsr", params)
    assert (status, headers["Content-Type"], body) == (200, "text/plain", b"success=true;")
    status, headers, body = serve(lean_only, "/aff_lsr", {"security_token": SECRET})
    assert (status, headers["Content-Type"]) == (400, "text/plain")
    assert body.startswith(b"success=false; err_msg=")
    assert CallbackInbox.objects.count() == 1


def test_an_everflow_form_post_and_a_json_post_are_read_like_the_views_read_them(lean_only):
    world = world_build()
    second = world.new_click()
    form = urlencode(
        {"transaction_id": world.click.click_id, "order_id": "EF-1", "verification_token": SECRET}
    )
    status, _, _ = serve(
        lean_only,
        settings.CALLBACK_EVERFLOW_PATH,
        method="POST",
        body=form.encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert status == 200
    data = {"click_id": second.click_id, "txn_id": "J-1", "token": SECRET, "amount": None}
    status, _, _ = serve(
        lean_only,
        "/postback",
        method="POST",
        body=json.dumps(data).encode(),
        content_type="application/json",
    )
    assert status == 200
    status, _, body = serve(
        lean_only, "/postback", method="POST", body=b"{not json", content_type="application/json"
    )
    assert (status, json.loads(body)["error"]["code"]) == (400, "invalid_json")
    drain()
    assert sorted(Conversion.objects.values_list("advertiser_txn_id", flat=True)) == ["EF-1", "J-1"]
    assert CallbackInbox.objects.get(click_id=second.click_id).params["amount"] == ""


def test_the_pixel_answers_the_gif_and_stores_the_click_in_the_cookie(lean_only):
    world = world_build()
    cookie = f"{settings.CLICK_COOKIE_NAME}={world.click.click_id}"
    status, headers, body = serve(
        lean_only, f"/p/{world.goal.ref}.gif", {"amount": "3"}, HTTP_COOKIE=cookie
    )
    assert (status, headers["Content-Type"], body) == (200, "image/gif", PIXEL_GIF)
    assert headers["Cache-Control"] == "no-store, max-age=0"
    assert CallbackInbox.objects.get().dialect == "pixel"
    assert serve(lean_only, "/p/sale.gif")[2] == PIXEL_GIF
    assert CallbackInbox.objects.count() == 1


def test_what_is_not_the_plain_case_goes_to_django(app):
    world = world_build()
    params = {"click_id": world.click.click_id, "token": SECRET}
    assert serve(app, "/postback", params, method="PUT")[0] == 405
    assert serve(app, f"/p/{world.goal.ref}.gif", method="POST")[0] == 403  # Django's CSRF
    assert serve(app, "/postback", params, HTTP_HOST="evil.example")[0] == 400
    # A multipart form is Django's to parse; the answer is the same.
    boundary = "XyZ"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="txn_id"\r\n\r\n'
        f"M-1\r\n--{boundary}--\r\n"
    ).encode()
    status, _, answer = serve(
        app,
        "/postback",
        params,
        method="POST",
        body=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert status == 200, answer
    assert CallbackInbox.objects.get(pk=json.loads(answer)["id"]).params["txn_id"] == "M-1"


def test_the_lean_handler_answers_the_bytes_the_django_views_answer(app, client):
    world_build()
    cases = [
        ("/postback", {"click_id": "bad", "token": SECRET}),
        ("/aff_lsr", {"security_token": SECRET}),
        ("/postback", {"click_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "offer_id": "999999"}),
    ]
    for path, params in cases:
        status, headers, body = serve(app, path, params)
        response = client.get(path, params)
        assert (status, headers, body) == (
            response.status_code,
            dict(response.items()),
            response.content,
        )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the in-memory SQLite test database has one writer"
)
def test_every_200_under_concurrency_is_a_committed_row_of_its_own(app):
    world = world_build()
    clicks = [world.new_click() for _ in range(60)]

    def send(index: int) -> tuple[int, bytes]:
        try:
            params = {"click_id": clicks[index].click_id, "txn_id": f"C{index}", "token": SECRET}
            status, _, body = serve(app, "/postback", params)
            return status, body
        finally:
            connection.close()

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(send, range(len(clicks))))
    assert [status for status, _ in answers] == [200] * len(clicks)
    ids = [json.loads(body)["id"] for _, body in answers]
    rows = dict(CallbackInbox.objects.values_list("id", "params"))
    assert sorted(ids) == sorted(rows)
    # Each answer names the row of its own callback, not a neighbour's in the same batch.
    assert all(rows[row_id]["txn_id"] == f"C{index}" for index, row_id in enumerate(ids))


def test_an_unexpected_error_is_django_s_500_and_stores_nothing(lean_only, monkeypatch, caplog):
    world = world_build()

    def broken(**_):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("tracking.callbacks.wsgi.callback_answer", broken)
    status, _, _ = serve(lean_only, "/postback", {"click_id": world.click.click_id})
    assert status == 500
    assert "Internal Server Error: /postback" in caplog.text
    assert not CallbackInbox.objects.exists()
