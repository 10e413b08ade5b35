"""Conversion callback endpoints: S2S, TUNE and Everflow dialects, and the image pixel.

Plain Django views rather than DRF: this is the hot path of the network (benchmarked in
bench/conversions.py) and needs no content negotiation. Errors keep the one JSON error shape,
except the TUNE dialect, which answers in TUNE's plain-text style.
"""

import base64
import contextlib
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from config.errors import DomainError, error_body
from tracking.callbacks.services import CallbackRequest, callback_receive, pixel_receive

PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
MAX_JSON_BODY = 64 * 1024


def _callback_request(request: HttpRequest, dialect: str) -> CallbackRequest:
    pairs = [(key, value) for key, values in request.GET.lists() for value in values]
    if request.method == "POST":
        if request.content_type == "application/json":
            body = request.body[:MAX_JSON_BODY]
            try:
                decoded = json.loads(body or b"{}")
            except ValueError as exc:
                raise DomainError("invalid_json", "The body is not valid JSON.") from exc
            if not isinstance(decoded, dict):
                raise DomainError("invalid_json", "The JSON body must be an object.")
            pairs += [(str(key), "" if v is None else str(v)) for key, v in decoded.items()]
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


def _receive_json(request: HttpRequest, dialect: str) -> HttpResponse:
    try:
        row = callback_receive(request=_callback_request(request, dialect))
    except DomainError as exc:
        return JsonResponse(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    return JsonResponse({"status": "accepted", "id": row.id})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def postback(request: HttpRequest) -> HttpResponse:
    return _receive_json(request, "s2s")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def everflow(request: HttpRequest) -> HttpResponse:
    return _receive_json(request, "everflow")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def tune(request: HttpRequest) -> HttpResponse:
    try:
        callback_receive(request=_callback_request(request, "tune"))
    except DomainError as exc:
        message = exc.message.replace(";", ",")
        return HttpResponse(
            f"success=false; err_msg={message}", status=exc.status_code, content_type="text/plain"
        )
    return HttpResponse("success=true;", content_type="text/plain")


@require_GET
def pixel(request: HttpRequest, goal_ref: str) -> HttpResponse:
    """Always a 1x1 GIF, whatever happened: a broken image on a thank-you page helps no one."""
    click_id = request.COOKIES.get(getattr(settings, "CLICK_COOKIE_NAME", "affnet_click"), "")
    if click_id:
        # A malformed JSON body cannot reach a GET; nothing else raises.
        with contextlib.suppress(DomainError):
            pixel_receive(
                goal_ref=goal_ref, click_id=click_id, request=_callback_request(request, "pixel")
            )
    response = HttpResponse(PIXEL_GIF, content_type="image/gif")
    response["Cache-Control"] = "no-store, max-age=0"
    return response
