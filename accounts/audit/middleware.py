"""Who made a change: the signed-in user of the page, or the user an API key acts for.

django-auditlog's own middleware reads `request.user` once, before the view runs. That is right
for session sign-ins (admin, portal), but DRF authenticates API keys inside the view, after
every middleware: the log would name nobody. So the request is kept for the duration of the
call, and the actor is read from it when each entry is written; by then DRF has set the key's
user on the underlying request too (rest_framework.request.Request.user's setter does).
Work outside a request (Celery, beat, shell) logs no actor unless wrapped in
`auditlog.context.set_actor(user)`.
"""

from contextvars import ContextVar

from auditlog.middleware import AuditlogMiddleware
from django.http import HttpRequest, HttpResponse

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


class AuditMiddleware(AuditlogMiddleware):
    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        # config.proxy.TrustedProxyMiddleware already put the address our proxy saw here; the
        # client's own X-Forwarded-For (which auditlog would believe) is not to be trusted.
        return request.META.get("REMOTE_ADDR") or None

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> int | None:
        return None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return super().__call__(request)
        finally:
            _request.reset(token)


def audit_actor_fill(sender, instance, **kwargs) -> None:
    """pre_save of LogEntry: name the request's user, if any, unless an actor is already set."""
    if instance.actor_id is not None:
        return
    request = _request.get()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        instance.actor_id = user.pk
        instance.actor_email = user.email or None
