"""A lean WSGI handler for the click paths, in front of Django (config/wsgi.py).

/c/, /aff_c, /i/, /aff_i, /ct/ (a creative test's rotating code) and /offer-unavailable skip
Django's URL resolver, middleware, request and response objects: none of them uses sessions,
CSRF, auth or templates, and on the busiest path of the network those cost more than the click
itself (docs/performance.md). Everything else goes to Django unchanged.

Skipping Django must not skip its Host check: a click whose Host is not one of ALLOWED_HOSTS
(the network's and publishers' tracking domains, docs/deploy.md) is refused with 400 as Django
would, so a domain pointed at us by someone else never serves our links or sets our cookie.
"""

from collections.abc import Callable, Iterable
from http import HTTPStatus

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest

from tracking.clicks.locations import UNAVAILABLE_PATH
from tracking.clicks.redirect import (
    ClickResponse,
    click_handle,
    impression_handle,
    unavailable_page,
)
from tracking.clicks.rotating import PREFIX as ROTATING_PREFIX
from tracking.clicks.rotating import creative_test_serve

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]
# "404 Not Found" for 404: the status line start_response wants (the callback handler uses it too).
STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}
_SAFE_METHODS = ("GET", "HEAD")


def _route(path: str, environ: dict) -> ClickResponse | None:
    if path.startswith("/c/"):
        return click_handle(environ=environ, kind="c", code=path[3:])
    if path == "/aff_c":
        return click_handle(environ=environ, kind="aff_c")
    if path.startswith("/s/"):
        return click_handle(environ=environ, kind="s", code=path[3:])
    if path.startswith("/i/"):
        return impression_handle(environ=environ, kind="i", code=path[3:])
    if path.startswith(ROTATING_PREFIX):
        return creative_test_serve(environ=environ, rest=path[len(ROTATING_PREFIX) :])
    if path == "/aff_i":
        return impression_handle(environ=environ, kind="aff_i")
    if path == UNAVAILABLE_PATH:
        return unavailable_page()
    return None


_HOSTS_KNOWN: dict[tuple[str, str], bool] = {}
_HOST_HEADERS = ("HTTP_HOST", "HTTP_X_FORWARDED_HOST", "SERVER_NAME", "SERVER_PORT")


def host_allowed(environ: dict) -> bool:
    """As HttpRequest.get_host() judges the request (ALLOWED_HOSTS, USE_X_FORWARDED_HOST),
    remembered per Host header: the same few domains carry every click."""
    key = (environ.get("HTTP_HOST", ""), environ.get("HTTP_X_FORWARDED_HOST", ""))
    known = _HOSTS_KNOWN.get(key)
    if known is None:
        request = HttpRequest()
        request.META = {name: environ[name] for name in _HOST_HEADERS if name in environ}
        try:
            request.get_host()
            known = True
        except DisallowedHost:
            known = False
        if len(_HOSTS_KNOWN) > 1000:  # made-up hosts must not grow it without bound
            _HOSTS_KNOWN.clear()
        _HOSTS_KNOWN[key] = known
    return known


def _is_click_path(path: str) -> bool:
    return path.startswith(("/c/", "/i/", "/s/", ROTATING_PREFIX)) or path in (
        "/aff_c",
        "/aff_i",
        UNAVAILABLE_PATH,
    )


def click_paths_first(django_app: WsgiApp) -> WsgiApp:
    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not _is_click_path(path):
            return django_app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in _SAFE_METHODS:
            start_response(STATUS_LINES[405], [("Allow", "GET, HEAD"), ("Content-Length", "0")])
            return [b""]
        if not host_allowed(environ):
            body = b"Unknown tracking domain."
            start_response(
                STATUS_LINES[400],
                [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
            )
            return [body if method == "GET" else b""]
        response = _route(path, environ)
        assert response is not None
        body = response.body if method == "GET" else b""
        start_response(
            STATUS_LINES[response.status],
            [*response.headers, ("Content-Length", str(len(response.body)))],
        )
        return [body]

    return application
