"""Django views over the click path: what Django's own request stack answers on these paths
(the test client, which calls Django's WSGIHandler without config.wsgi's lean handler in front).

Production and the embedded mode (runserver reads WSGI_APPLICATION) serve these paths from the
lean WSGI handler (wsgi.py) in front of Django; both call the same functions in redirect.py
with the request's WSGI environ, so every decision exists once, there.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from tracking.clicks.redirect import (
    ClickResponse,
    click_handle,
    impression_handle,
    unavailable_page,
)
from tracking.clicks.rotating import creative_test_serve


def _django(response: ClickResponse) -> HttpResponse:
    answer = HttpResponse(response.body, status=response.status)
    for name, value in response.headers:
        if name == "Set-Cookie":
            answer.cookies.load(value)  # Django writes its cookies itself
        else:
            answer.headers[name] = value
    return answer


@require_safe
def click(request: HttpRequest, code: str) -> HttpResponse:
    return _django(click_handle(environ=request.META, kind="c", code=code))


@require_safe
def smart_click(request: HttpRequest, code: str) -> HttpResponse:
    return _django(click_handle(environ=request.META, kind="s", code=code))


@require_safe
def tune_click(request: HttpRequest) -> HttpResponse:
    return _django(click_handle(environ=request.META, kind="aff_c"))


@require_safe
def impression(request: HttpRequest, code: str) -> HttpResponse:
    return _django(impression_handle(environ=request.META, kind="i", code=code))


@xframe_options_exempt  # the frame of a creative test's code is framed by publishers' pages
@require_safe
def creative_test(request: HttpRequest, rest: str) -> HttpResponse:
    return _django(creative_test_serve(environ=request.META, rest=rest))


@require_safe
def tune_impression(request: HttpRequest) -> HttpResponse:
    return _django(impression_handle(environ=request.META, kind="aff_i"))


@require_safe
def unavailable(request: HttpRequest) -> HttpResponse:
    return _django(unavailable_page())
