"""A lean WSGI handler for the click paths, in front of Django (config/wsgi.py).

/c/, /aff_c, /i/, /aff_i and /offer-unavailable skip Django's URL resolver, middleware, request
and response objects: none of them uses sessions, CSRF, auth or templates, and on the busiest
path of the network those cost more than the click itself (docs/performance.md). Everything else
goes to Django unchanged.
"""

from collections.abc import Callable, Iterable
from http import HTTPStatus

from tracking.clicks.locations import UNAVAILABLE_PATH
from tracking.clicks.redirect import (
    ClickResponse,
    click_handle,
    impression_handle,
    unavailable_page,
)

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]
# "404 Not Found" for 404: the status line start_response wants (the callback handler uses it too).
STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}
_SAFE_METHODS = ("GET", "HEAD")


def _route(path: str, environ: dict) -> ClickResponse | None:
    if path.startswith("/c/"):
        return click_handle(environ=environ, kind="c", code=path[3:])
    if path == "/aff_c":
        return click_handle(environ=environ, kind="aff_c")
    if path.startswith("/i/"):
        return impression_handle(environ=environ, kind="i", code=path[3:])
    if path == "/aff_i":
        return impression_handle(environ=environ, kind="aff_i")
    if path == UNAVAILABLE_PATH:
        return unavailable_page()
    return None


def _is_click_path(path: str) -> bool:
    return path.startswith(("/c/", "/i/")) or path in ("/aff_c", "/aff_i", UNAVAILABLE_PATH)


def click_paths_first(django_app: WsgiApp) -> WsgiApp:
    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not _is_click_path(path):
            return django_app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in _SAFE_METHODS:
            start_response(STATUS_LINES[405], [("Allow", "GET, HEAD"), ("Content-Length", "0")])
            return [b""]
        response = _route(path, environ)
        assert response is not None
        body = response.body if method == "GET" else b""
        start_response(
            STATUS_LINES[response.status],
            [*response.headers, ("Content-Length", str(len(response.body)))],
        )
        return [body]

    return application
