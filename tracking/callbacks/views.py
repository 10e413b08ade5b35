"""Conversion callback endpoints: S2S, TUNE and Everflow dialects, and the image pixel.

Plain Django views rather than DRF: this is the hot path of the network (benchmarked in
bench/conversions.py) and needs no content negotiation. Errors keep the one JSON error shape,
except the TUNE dialect, which answers in TUNE's plain-text style.

What each endpoint answers is decided by `callback_answer` and `pixel_answer`, from a
`CallbackRequest` however it was read: these views read it from Django's request, the lean WSGI
handler in front of Django (tracking/callbacks/wsgi.py) from the WSGI environ, and both answer
the same bytes.
"""

import base64
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from config.errors import DomainError, error_body
from tracking.callbacks.services import CallbackRequest, callback_receive, pixel_receive

PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
MAX_JSON_BODY = 64 * 1024
JSON_TYPE = "application/json"
TEXT_CONTENT_TYPE = "text/plain"
PIXEL_HEADERS = (("Content-Type", "image/gif"), ("Cache-Control", "no-store, max-age=0"))


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def json_pairs(body: bytes) -> list[tuple[str, str]]:
    """The (name, value) pairs of a JSON object body. Raises DomainError (400)."""
    try:
        decoded = json.loads(body[:MAX_JSON_BODY] or b"{}")
    except ValueError as exc:
        raise DomainError("invalid_json", "The body is not valid JSON.") from exc
    if not isinstance(decoded, dict):
        raise DomainError("invalid_json", "The JSON body must be an object.")
    return [(str(key), "" if v is None else str(v)) for key, v in decoded.items()]


def _json(data: dict, status: int = 200) -> Answer:
    # As JsonResponse encodes it.
    return Answer(status, JSON_TYPE, json.dumps(data, cls=DjangoJSONEncoder).encode())


def callback_answer(*, dialect: str, read: Callable[[], CallbackRequest]) -> Answer:
    """Receive one callback and say what to answer. `read` may raise DomainError (bad body)."""
    if dialect == "tune":
        try:
            callback_receive(request=read())
        except DomainError as exc:
            message = exc.message.replace(";", ",")
            body = f"success=false; err_msg={message}".encode()
            return Answer(exc.status_code, TEXT_CONTENT_TYPE, body)
        return Answer(200, TEXT_CONTENT_TYPE, b"success=true;")
    try:
        row = callback_receive(request=read())
    except DomainError as exc:
        return _json(error_body(exc.code, exc.message, exc.fields), exc.status_code)
    if row.spool_id is not None:
        # PostgreSQL was down: durable in the Redis spool, in the inbox once it is back.
        return _json({"status": "accepted", "id": None, "spooled": True})
    return _json({"status": "accepted", "id": row.id})


def pixel_answer(*, goal_ref: str, click_id: str, read: Callable[[], CallbackRequest]) -> None:
    """Store the pixel's callback when it names a click (the cookie's, else its `click_id`
    parameter); the answer is always the GIF, counted or not."""
    # A malformed JSON body cannot reach a GET; nothing else raises.
    with contextlib.suppress(DomainError):
        pixel_receive(goal_ref=goal_ref, click_id=click_id, request=read())


def _callback_request(request: HttpRequest, dialect: str) -> CallbackRequest:
    pairs = [(key, value) for key, values in request.GET.lists() for value in values]
    if request.method == "POST":
        if request.content_type == JSON_TYPE:
            pairs += json_pairs(request.body)
        else:
            pairs += [(key, value) for key, values in request.POST.lists() for value in values]
    return CallbackRequest(
        dialect=dialect,
        method=request.method or "GET",
        path=request.path,
        params=dict(pairs),
        pairs=pairs,
        headers=request.headers,
        remote_ip=request.META.get("REMOTE_ADDR"),
    )


def _response(answer: Answer) -> HttpResponse:
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


def _receive(request: HttpRequest, dialect: str) -> HttpResponse:
    return _response(
        callback_answer(dialect=dialect, read=lambda: _callback_request(request, dialect))
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def postback(request: HttpRequest) -> HttpResponse:
    return _receive(request, "s2s")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def everflow(request: HttpRequest) -> HttpResponse:
    return _receive(request, "everflow")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def tune(request: HttpRequest) -> HttpResponse:
    return _receive(request, "tune")


def click_cookie_name() -> str:
    return getattr(settings, "CLICK_COOKIE_NAME", "affnet_click")


@require_GET
def pixel(request: HttpRequest, goal_ref: str) -> HttpResponse:
    """Always a 1x1 GIF, whatever happened: a broken image on a thank-you page helps no one."""
    pixel_answer(
        goal_ref=goal_ref,
        click_id=request.COOKIES.get(click_cookie_name(), ""),
        read=lambda: _callback_request(request, "pixel"),
    )
    response = HttpResponse(PIXEL_GIF)
    for name, value in PIXEL_HEADERS:
        response[name] = value
    return response
