"""Who made a change: the signed-in user of the page, or the user an API key acts for.

django-auditlog's own middleware reads `request.user` once, before the view runs. That is right
for session sign-ins (admin, portal), but DRF authenticates API keys inside the view, after
every middleware: the log would name nobody. It would also open the session of every request
(public callbacks included, adding `Vary: Cookie`) and connect a signal receiver per request.
So this middleware only keeps the request for the duration of the call, and the actor is read
from it when an entry is written; by then DRF has set the key's user on the underlying request
too (rest_framework.request.Request.user's setter does). Work outside a request (Celery, beat,
shell) logs no actor unless wrapped in `auditlog.context.set_actor(user)`.
"""

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def audit_actor_fill(sender, instance, **kwargs) -> None:
    """pre_save of LogEntry: name the request's user and address, unless already set.

    The address is the one core.proxy.TrustedProxyMiddleware believes; never a client's own
    X-Forwarded-For, which auditlog's middleware would take.
    """
    request = _request.get()
    if request is None:
        return
    if instance.remote_addr is None:
        instance.remote_addr = request.META.get("REMOTE_ADDR") or None
    user = getattr(request, "user", None)
    if instance.actor_id is None and user is not None and user.is_authenticated:
        instance.actor_id = user.pk
        instance.actor_email = user.email or None
