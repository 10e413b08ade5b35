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
import ipaddress
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import chain

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError, error_body
from tracking.callbacks.fields import PIXEL_ORIGIN_HEADERS, params_first, unstorable_parameter
from tracking.callbacks.limits import retry_after_headers
from tracking.callbacks.services import (
    KEPT_HEADERS,
    CallbackRequest,
    callback_receive,
    pixel_receive,
)

logger = logging.getLogger(__name__)

PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
# A callback is a few hundred bytes; a body over this (JSON or form) is 413 `body_too_large`.
MAX_BODY = 64 * 1024
# Levels of objects and arrays in a JSON body (the top object is level 1): a callback's
# parameters are flat, and the parser's own limit is Python's recursion limit.
MAX_JSON_DEPTH = 8
JSON_TYPE = "application/json"
TEXT_CONTENT_TYPE = "text/plain"
PIXEL_HEADERS = (("Content-Type", "image/gif"), ("Cache-Control", "no-store, max-age=0"))


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    # Extra response headers, e.g. a 429's Retry-After (tracking/callbacks/limits.py).
    headers: tuple[tuple[str, str], ...] = ()


def body_too_large() -> DomainError:
    return DomainError(
        "body_too_large",
        f"The body is over {MAX_BODY} bytes: a callback's parameters fit in far less.",
        status_code=413,
    )


def json_pairs(body: bytes) -> list[tuple[str, str]]:
    """The (name, value) pairs of a JSON object body. Raises DomainError (400, 413)."""
    if len(body) > MAX_BODY:
        raise body_too_large()
    try:
        decoded = json.loads(body or b"{}")
    except RecursionError as exc:
        raise _too_deep() from exc
    except ValueError as exc:  # UnicodeDecodeError and an integer over 4300 digits too
        raise DomainError("invalid_json", "The body is not valid JSON.") from exc
    if not isinstance(decoded, dict):
        raise DomainError("invalid_json", "The JSON body must be an object.")
    if _json_depth(decoded) > MAX_JSON_DEPTH:
        raise _too_deep()
    return [(str(key), "" if v is None else str(v)) for key, v in decoded.items()]


def _too_deep() -> DomainError:
    return DomainError(
        "invalid_json", f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
    )


def _json_depth(value: object) -> int:
    """How many levels of objects and arrays `value` has (iteratively: no recursion limit)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _storable(request: CallbackRequest, headers: tuple[str, ...]) -> CallbackRequest:
    """The request, if PostgreSQL can keep everything of it that is stored. Raises DomainError
    (400 `invalid_characters`) naming the first parameter or header that has a NUL or a lone
    surrogate, before anything is written."""
    kept = ((name, request.headers[name]) for name in headers if name in request.headers)
    name = unstorable_parameter(chain(request.pairs, kept))
    if name is not None:
        raise DomainError.for_field(
            name,
            "invalid_characters",
            "A parameter holds a NUL character or text that is not valid Unicode.",
        )
    if request.remote_ip:
        try:
            ipaddress.ip_address(request.remote_ip)
        except ValueError:
            # The server's own REMOTE_ADDR (a unix socket's, say): no address, not a refusal.
            return replace(request, remote_ip=None)
    return request


def _unstorable(exc: Exception) -> DomainError:
    # The door's checks should make this unreachable; if the database still refuses a value
    # of this one callback, it alone is refused (its group commit's others are stored).
    logger.warning("callback refused by the database: %s", exc)
    return DomainError(
        "unstorable", "The database refused a value of this callback; nothing was stored."
    )


def _json(data: dict, status: int = 200) -> Answer:
    # As JsonResponse encodes it.
    return Answer(status, JSON_TYPE, json.dumps(data, cls=DjangoJSONEncoder).encode())


def callback_answer(*, dialect: str, read: Callable[[], CallbackRequest]) -> Answer:
    """Receive one callback and say what to answer. `read` may raise DomainError (bad body)."""
    try:
        try:
            row = callback_receive(request=_storable(read(), KEPT_HEADERS))
        except (DataError, UnicodeEncodeError) as exc:
            raise _unstorable(exc) from exc
    except DomainError as exc:
        if dialect == "tune":
            message = exc.message.replace(";", ",")
            body = f"success=false; err_msg={message}".encode()
            return Answer(exc.status_code, TEXT_CONTENT_TYPE, body, retry_after_headers(exc))
        answer = _json(error_body(exc.code, exc.message, exc.fields), exc.status_code)
        return Answer(answer.status, answer.content_type, answer.body, retry_after_headers(exc))
    if dialect == "tune":
        return Answer(200, TEXT_CONTENT_TYPE, b"success=true;")
    if row.spool_id is not None:
        # PostgreSQL was down: durable in the Redis spool, in the inbox once it is back.
        return _json({"status": "accepted", "id": None, "spooled": True})
    return _json({"status": "accepted", "id": row.id})


def pixel_answer(*, goal_ref: str, click_id: str, read: Callable[[], CallbackRequest]) -> None:
    """Store the pixel's callback when it names a click (the cookie's, else its `click_id`
    parameter); the answer is always the GIF, counted or not."""
    try:
        request = _storable(read(), (*KEPT_HEADERS, *PIXEL_ORIGIN_HEADERS))
        pixel_receive(goal_ref=goal_ref, click_id=click_id, request=request)
    except DomainError:
        return  # unreadable or unstorable: not counted
    except (DataError, UnicodeEncodeError) as exc:
        _unstorable(exc)  # logged; the visitor still gets the GIF


def _callback_request(request: HttpRequest, dialect: str) -> CallbackRequest:
    try:
        pairs = [(key, value) for key, values in request.GET.lists() for value in values]
        if request.method == "POST":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > MAX_BODY:
                raise body_too_large()
            if request.content_type == JSON_TYPE:
                pairs += json_pairs(request.body)
            else:
                pairs += [(key, value) for key, values in request.POST.lists() for value in values]
    except RequestDataTooBig as exc:
        raise body_too_large() from exc
    except TooManyFieldsSent as exc:
        raise DomainError(
            "too_many_parameters",
            f"More than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} parameters.",
        ) from exc
    return CallbackRequest(
        dialect=dialect,
        method=request.method or "GET",
        path=request.path,
        params=params_first(pairs),
        pairs=pairs,
        headers=request.headers,
        remote_ip=request.META.get("REMOTE_ADDR"),
    )


def _response(answer: Answer) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    for name, value in answer.headers:
        response[name] = value
    return response


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
    return settings.CLICK_COOKIE_NAME


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
