"""A lean WSGI handler for the conversion callback paths, in front of Django (config/wsgi.py).

/postback, /aff_lsr, the Everflow path and /p/<ref>.gif skip Django's URL resolver, middleware
stack and request object: none of them uses sessions, CSRF, auth, messages or templates, and on
the network's second-busiest path those cost more than the callback itself (docs/performance.md).
What a callback answers is decided by the same functions the Django views call
(`callback_answer`, `pixel_answer` in views.py), from the same `CallbackRequest`.

The handler takes only the plain case and hands everything else to Django unchanged, so Django's
own answers (405, a disallowed Host, the HTTPS redirect, an oversized or multipart body, too many
fields) stay exactly what they were. What the skipped middleware would have done on the plain
case is done here: the proxy's client address (core/proxy.py), the security headers, and the
request_started / request_finished signals that recycle database connections.
"""

import io
import re
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.http.cookie import parse_cookie
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.http import parse_header_parameters

from core.errors import DomainError
from core.proxy import proxy_client_ip
from tracking.callbacks.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, TOKEN_HEADER
from tracking.callbacks.fields import params_first
from tracking.callbacks.services import CallbackRequest
from tracking.callbacks.views import (
    JSON_TYPE,
    MAX_BODY,
    PIXEL_GIF,
    PIXEL_HEADERS,
    Answer,
    body_too_large,
    callback_answer,
    click_cookie_name,
    json_pairs,
    pixel_answer,
)
from tracking.clicks.wsgi import STATUS_LINES, WsgiApp

_FORM_TYPE = "application/x-www-form-urlencoded"
_PIXEL_PATH = re.compile(r"/p/([-a-zA-Z0-9_]+)\.gif\Z")
# The request headers a callback reads (services.KEPT_HEADERS and the token), by WSGI key.
_HEADER_KEYS = (
    ("User-Agent", "HTTP_USER_AGENT"),
    ("Content-Type", "CONTENT_TYPE"),
    (SIGNATURE_HEADER, "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")),
    (TIMESTAMP_HEADER, "HTTP_" + TIMESTAMP_HEADER.upper().replace("-", "_")),
    (TOKEN_HEADER, "HTTP_" + TOKEN_HEADER.upper().replace("-", "_")),
    # A pixel's: where it was fired from (fields.PIXEL_ORIGIN_HEADERS).
    ("Origin", "HTTP_ORIGIN"),
    ("Referer", "HTTP_REFERER"),
)


class _Delegate(Exception):
    """This request is not the plain case: Django answers it."""


def callback_dialects() -> dict[str, str]:
    """Path -> dialect of the S2S callback paths, as tracking/callbacks/urls.py routes them."""
    everflow = settings.CALLBACK_EVERFLOW_PATH.strip("/")
    return {"/postback": "s2s", "/aff_lsr": "tune", f"/{everflow}": "everflow"}


class _EnvironRequest(HttpRequest):
    """Just enough of a request for Django's own `is_secure()` and `get_host()` on a WSGI
    environ, without building a WSGIRequest (its query dict, stream and headers)."""

    def __init__(self, environ: dict) -> None:
        self.META = environ

    def _get_scheme(self) -> str:
        return self.META.get("wsgi.url_scheme", "http")


def _security_headers(secure: bool) -> list[tuple[str, str]]:
    """What SecurityMiddleware and XFrameOptionsMiddleware add to a response: Django's own
    middlewares, run once per scheme on an empty response (they read nothing else of the
    request or of the response), listed in that order as the handler always has."""
    request = _EnvironRequest({"wsgi.url_scheme": "https" if secure else "http"})
    response = HttpResponse()
    before = set(response.headers)
    for middleware in (SecurityMiddleware, XFrameOptionsMiddleware):
        if f"{middleware.__module__}.{middleware.__name__}" in settings.MIDDLEWARE:
            response = middleware(lambda _: HttpResponse()).process_response(request, response)
    return [(name, value) for name, value in response.items() if name not in before]


class _Lean:
    def __init__(self, django_app: WsgiApp) -> None:
        self.django_app = django_app
        self.dialects = callback_dialects()
        self.cookie = click_cookie_name()
        self.max_fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        self.max_body = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        self.headers = {secure: _security_headers(secure) for secure in (False, True)}
        self._hosts: dict[str, bool] = {}
        # Django would decode the query string otherwise: let it.
        self.enabled = settings.DEFAULT_CHARSET.lower() == "utf-8"

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        dialect = self.dialects.get(path)
        pixel = None if dialect is not None else _PIXEL_PATH.match(path)
        if (dialect is None and pixel is None) or not self.enabled or not self._plain(environ):
            return self.django_app(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        if method not in (("GET",) if pixel is not None else ("GET", "POST")):
            return self.django_app(environ, start_response)
        try:
            if pixel is not None:
                return self._pixel(environ, start_response, pixel.group(1))
            return self._callback(environ, start_response, dialect, path, method)
        except _Delegate:
            return self.django_app(environ, start_response)

    # -- the plain case ----------------------------------------------------------------------

    def _plain(self, environ: dict) -> bool:
        """Would Django serve this request as itself, with no redirect and no refusal?

        Each check is one thing Django's stack would do differently: a script prefix changes
        the path Django routes; SecurityMiddleware redirects plain HTTP when SSL is forced;
        get_host() refuses a Host outside ALLOWED_HOSTS (or trusts X-Forwarded-Host instead).
        Those requests go to Django, which answers them itself."""
        if settings.FORCE_SCRIPT_NAME is not None or any(
            environ.get(key) for key in ("SCRIPT_NAME", "SCRIPT_URL", "REDIRECT_URL")
        ):
            return False
        if settings.SECURE_SSL_REDIRECT and not _is_secure(environ):
            return False
        host = environ.get("HTTP_HOST")
        if not host or settings.USE_X_FORWARDED_HOST:
            return False
        allowed = self._hosts.get(host)
        if allowed is None:
            allowed = _host_allowed(host)
            if len(self._hosts) > 1000:
                self._hosts.clear()
            self._hosts[host] = allowed
        return allowed

    def _read(self, environ: dict, dialect: str, path: str, method: str) -> CallbackRequest:
        content_type, options = parse_header_parameters(environ.get("CONTENT_TYPE", ""))
        if options.get("charset", "utf-8").lower() != "utf-8":
            raise _Delegate  # Django decodes the query string with it, or refuses the form
        query = environ.get("QUERY_STRING", "").encode("iso-8859-1")
        pairs = _query_pairs(query, self.max_fields)
        if method == "POST" and content_type in (JSON_TYPE, _FORM_TYPE):
            pairs += self._body_pairs(environ, content_type)
        elif method == "POST" and content_type == "multipart/form-data":
            raise _Delegate
        headers = {name: environ[key] for name, key in _HEADER_KEYS if key in environ}
        return CallbackRequest(
            dialect=dialect,
            method=method,
            path=path,
            params=params_first(pairs),
            pairs=pairs,
            headers=headers,
            remote_ip=proxy_client_ip(environ) or environ.get("REMOTE_ADDR"),
        )

    def _body_pairs(self, environ: dict, content_type: str) -> list[tuple[str, str]]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise _Delegate from None
        if length < 0:
            raise _Delegate
        if length > MAX_BODY:
            raise body_too_large()  # as the view answers: 413, the body unread
        body = environ["wsgi.input"].read(length) if length else b""
        # Django reads it again if it has to answer after all.
        environ["wsgi.input"] = io.BytesIO(body)
        if len(body) != length:
            raise _Delegate
        if content_type == JSON_TYPE:
            return json_pairs(body)
        return _query_pairs(body, self.max_fields)

    def _callback(
        self, environ: dict, start_response: Callable, dialect: str, path: str, method: str
    ) -> Iterable[bytes]:
        # JSON_TYPE bodies that are not JSON raise DomainError from json_pairs inside `read`,
        # which callback_answer turns into the dialect's 400, as the view does.
        read = _Reader(self, environ, dialect, path, method)
        read.prepare()
        return self._serve(
            environ, start_response, lambda: callback_answer(dialect=dialect, read=read)
        )

    def _pixel(self, environ: dict, start_response: Callable, goal_ref: str) -> Iterable[bytes]:
        read = _Reader(self, environ, "pixel", environ["PATH_INFO"], "GET")
        read.prepare()
        click_id = parse_cookie(environ.get("HTTP_COOKIE", "")).get(self.cookie, "")

        def answer() -> Answer:
            pixel_answer(goal_ref=goal_ref, click_id=click_id, read=read)
            return Answer(200, "", PIXEL_GIF)

        return self._serve(environ, start_response, answer)

    def _serve(
        self, environ: dict, start_response: Callable, answer: Callable[[], Answer]
    ) -> Iterable[bytes]:
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            try:
                result = answer()
            except Exception as exc:  # Django's own 500 path: logged there, answered 500
                return self._failure(environ, start_response, exc)
            if result.content_type:
                headers = [("Content-Type", result.content_type)]
            else:
                headers = list(PIXEL_HEADERS)
            headers += result.headers
            headers += self.headers[_is_secure(environ)]
            headers.append(("Content-Length", str(len(result.body))))
            start_response(STATUS_LINES[result.status], headers)
            return [result.body]
        finally:
            signals.request_finished.send(sender=self.__class__)

    def _failure(self, environ: dict, start_response: Callable, exc: Exception) -> Iterable[bytes]:
        """What Django answers on an unexpected error: logged as django.request, then the 500."""
        request = WSGIRequest(environ)
        response = response_for_exception(request, exc)
        headers = [
            *response.items(),
            *self.headers[_is_secure(environ)],
            ("Content-Length", str(len(response.content))),
        ]
        start_response(STATUS_LINES.get(response.status_code, "500 Internal Server Error"), headers)
        return [response.content]


class _Reader:
    """Reads the CallbackRequest before anything is answered (so a request that is not the
    plain case still goes to Django), and hands it, or its DomainError, to the answer."""

    __slots__ = ("error", "handler", "request", "spec")

    def __init__(self, handler: _Lean, environ: dict, dialect: str, path: str, method: str):
        self.handler = handler
        self.spec = (environ, dialect, path, method)
        self.request: CallbackRequest | None = None
        self.error: DomainError | None = None

    def prepare(self) -> None:
        try:
            self.request = self.handler._read(*self.spec)
        except DomainError as exc:
            self.error = exc

    def __call__(self) -> CallbackRequest:
        if self.error is not None:
            raise self.error
        assert self.request is not None
        return self.request


def _query_pairs(data: bytes, max_fields: int | None) -> list[tuple[str, str]]:
    """As Django's QueryDict reads a query string or a form body."""
    if not data:
        return []
    try:
        text = data.decode()
    except UnicodeDecodeError:
        text = data.decode("iso-8859-1")
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", max_num_fields=max_fields)
    except ValueError:
        raise _Delegate from None  # too many fields: Django's 400


def _is_secure(environ: dict) -> bool:
    """As Django judges it (SECURE_PROXY_SSL_HEADER, else the WSGI scheme)."""
    return _EnvironRequest(environ).is_secure()


def _host_allowed(host: str) -> bool:
    """As HttpRequest.get_host() judges HTTP_HOST (a disallowed one is Django's 400)."""
    try:
        _EnvironRequest({"HTTP_HOST": host}).get_host()
    except DisallowedHost:
        return False
    return True


def callback_paths_first(django_app: WsgiApp) -> WsgiApp:
    return _Lean(django_app)
