"""Malformed callbacks answer their documented 4xx, never a 500, and store nothing; pixels
answer their GIF whatever they are sent.

Each case goes through both doors: the Django views (the test client) and the lean WSGI
handler in front of Django (config.wsgi), which must answer the same bytes.
"""

import io
import json
from urllib.parse import urlencode

import pytest
from django.conf import settings

from tests.tracking.conversions.conftest import SECRET, world_build
from tracking.callbacks.views import MAX_BODY, PIXEL_GIF
from tracking.models import CallbackInbox

pytestmark = pytest.mark.django_db(transaction=True)

EVERFLOW = settings.CALLBACK_EVERFLOW_PATH


def lean(
    path: str,
    query: str = "",
    *,
    method: str = "GET",
    body: bytes = b"",
    content_type: str = "",
    cookie: str = "",
    remote_addr: str = "203.0.113.9",
) -> tuple[int, bytes, str]:
    """One request through config.wsgi's application, as a WSGI server sends it."""
    from config.wsgi import application

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REMOTE_ADDR": remote_addr,
        "HTTP_HOST": "testserver",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    seen: dict = {}

    def start_response(status: str, headers: list) -> None:
        seen["status"], seen["type"] = int(status.split()[0]), dict(headers).get("Content-Type")

    answer = b"".join(application(environ, start_response))
    return seen["status"], answer, seen["type"]


def both(client, path: str, query: str = "", **kwargs) -> tuple[int, bytes, str]:
    """The lean handler's answer, after checking the Django view answers the same bytes."""
    answer = lean(path, query, **kwargs)
    method = kwargs.get("method", "GET")
    extra = {}
    if kwargs.get("cookie"):
        extra["HTTP_COOKIE"] = kwargs["cookie"]
    full = f"{path}?{query}" if query else path
    if method == "POST":
        response = client.generic(
            "POST",
            full,
            kwargs.get("body", b""),
            content_type=kwargs.get("content_type", ""),
            **extra,
        )
    else:
        response = client.get(full, **extra)
    assert (response.status_code, response.content, response.get("Content-Type")) == answer
    return answer


def refused(client, path: str, query: str = "", **kwargs) -> tuple[int, str, dict]:
    status, body, content_type = both(client, path, query, **kwargs)
    assert content_type == "application/json"
    error = json.loads(body)["error"]
    return status, error["code"], error["fields"]


def good_query(world, **params: str) -> str:
    return urlencode({"click_id": world.click.click_id, "txn_id": "T-1", "token": SECRET, **params})


def post_json(client, text: str, path: str = "/postback"):
    return refused(client, path, method="POST", body=text.encode(), content_type="application/json")


def test_a_nul_in_any_parameter_is_400_invalid_characters_and_stores_nothing(client):
    world = world_build()
    assert refused(client, "/postback", good_query(world, txn_id="A\x00B")) == (
        400,
        "invalid_characters",
        {"txn_id": ["A parameter holds a NUL character or text that is not valid Unicode."]},
    )
    assert refused(client, "/postback", good_query(world, adv1="x\x00"))[:2] == (
        400,
        "invalid_characters",
    )
    status, code, fields = refused(client, EVERFLOW, good_query(world) + "&na%00me=1")
    assert (status, code, list(fields)) == (400, "invalid_characters", ["na\\x00me"])
    assert CallbackInbox.objects.count() == 0


def test_a_tune_callback_with_a_nul_is_refused_in_tune_s_plain_text(client):
    world = world_build()
    query = urlencode(
        {"transaction_id": world.click.click_id, "adv_sub": "A\x00", "security_token": SECRET}
    )
    status, body, content_type = both(client, "/aff_lsr", query)
    assert (status, content_type) == (400, "text/plain")
    assert body.startswith(b"success=false; err_msg=A parameter holds a NUL")
    assert CallbackInbox.objects.count() == 0


def test_a_lone_surrogate_or_a_nul_in_a_json_body_is_400_invalid_characters(client):
    world = world_build()
    click = world.click.click_id
    head = f'{{"click_id": "{click}", "token": "{SECRET}", '
    lone = head + '"txn_id": "\\ud800"}'
    assert post_json(client, lone)[:2] == (400, "invalid_characters")
    nul = head + '"txn_id": "a\\u0000"}'
    assert post_json(client, nul)[:2] == (400, "invalid_characters")
    in_name = head + '"\\udfff": "1"}'
    assert post_json(client, in_name) == (
        400,
        "invalid_characters",
        {"\\udfff": ["A parameter holds a NUL character or text that is not valid Unicode."]},
    )
    assert CallbackInbox.objects.count() == 0


def test_deeply_nested_json_is_400_invalid_json_however_deep(client):
    world = world_build()
    head = f'{{"click_id": "{world.click.click_id}", "token": "{SECRET}", "x": '
    for depth in (9, 1000, 30_000):
        assert post_json(client, head + "[" * depth + "]" * depth + "}")[:2] == (
            400,
            "invalid_json",
        )
    # The recursion the parser would need, in a body under the size limit.
    assert post_json(client, "[" * (MAX_BODY - 1))[:2] == (400, "invalid_json")
    assert CallbackInbox.objects.count() == 0


def test_a_body_over_the_limit_is_413_body_too_large_json_or_form(client):
    world = world_build()
    padding = "p" * MAX_BODY
    data = {"click_id": world.click.click_id, "token": SECRET, "pad": padding}
    assert post_json(client, json.dumps(data))[:2] == (413, "body_too_large")
    assert refused(
        client,
        EVERFLOW,
        method="POST",
        body=urlencode(data).encode(),
        content_type="application/x-www-form-urlencoded",
    )[:2] == (413, "body_too_large")
    # Over Django's own DATA_UPLOAD_MAX_MEMORY_SIZE too: the same JSON 413, not Django's page.
    huge = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    assert refused(client, "/postback", method="POST", body=huge, content_type="application/json")[
        :2
    ] == (413, "body_too_large")
    assert CallbackInbox.objects.count() == 0


def test_oversized_or_non_ascii_numbers_in_offer_id_and_goal_are_400(client):
    world = world_build()
    for params, code in [
        ({"offer_id": "1" * 19}, "offer_id_invalid"),
        ({"offer_id": "17134893333144080384"}, "offer_id_invalid"),
        ({"offer_id": "\u00b2"}, "offer_id_invalid"),
        ({"goal": "9" * 19}, "goal_invalid"),
        ({"goal": "\u00b2"}, "goal_invalid"),
        ({"goal": "1" * 300}, "goal_invalid"),
    ]:
        assert refused(client, "/postback", good_query(world, **params))[:2] == (400, code)
    assert CallbackInbox.objects.count() == 0


def test_amounts_out_of_range_or_not_finite_are_400_amount_invalid(client):
    world = world_build()
    for amount in ("NaN", "nan", "1e999", "Infinity", "-inf", "-1", "1e12", "sNaN", "12abc"):
        assert refused(client, "/postback", good_query(world, amount=amount))[:2] == (
            400,
            "amount_invalid",
        ), amount
    click = world.click.click_id
    for literal in ("NaN", "1e999", "-Infinity"):
        text = f'{{"click_id": "{click}", "token": "{SECRET}", "amount": {literal}}}'
        assert post_json(client, text)[:2] == (400, "amount_invalid"), literal
    assert CallbackInbox.objects.count() == 0


def test_of_a_repeated_parameter_the_first_value_is_the_one_read_and_stored(client):
    world = world_build()
    query = good_query(world, txn_id="FIRST") + "&txn_id=SECOND&amount=1&amount=999999"
    assert lean("/postback", query)[0] == 200
    assert client.get(f"/postback?{query}").status_code == 200
    rows = list(CallbackInbox.objects.values_list("params", flat=True))
    assert [(row["txn_id"], row["amount"]) for row in rows] == [("FIRST", "1")] * 2


def test_a_pixel_answers_its_gif_whatever_it_is_sent_and_stores_only_what_is_storable(client):
    world = world_build()
    cookie = f"{settings.CLICK_COOKIE_NAME}={world.click.click_id}"
    path = f"/p/{world.goal.ref}.gif"
    for query in (
        "amount=1%00",
        "n%00ame=1",
        "txn_id=%ED%A0%80",  # a surrogate's UTF-8 bytes: read as U+FFFD, storable
        "amount=NaN",
        "click_id=%00",
        "&".join(f"p{index}=v" for index in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 5)),
        "x=" + "y" * 200_000,
    ):
        for cookie_sent in (cookie, ""):
            status, body, content_type = both(client, path, query, cookie=cookie_sent)
            assert (status, body, content_type) == (200, PIXEL_GIF, "image/gif"), query[:40]
    stored = sorted(
        row["txn_id"]
        for row in CallbackInbox.objects.values_list("params", flat=True)
        if "txn_id" in row
    )
    assert stored == ["\ufffd\ufffd\ufffd"] * 2


def test_a_server_address_that_is_no_ip_address_is_stored_as_none_not_refused(client):
    world = world_build()
    status, body, _ = lean("/postback", good_query(world), remote_addr="unix:/run/web.sock")
    assert status == 200, body
    assert CallbackInbox.objects.get().remote_ip is None
