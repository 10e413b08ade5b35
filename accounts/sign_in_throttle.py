"""Sign-in throttling: django-axes, keyed by (username, client address).

Failed passwords are counted per pair in PostgreSQL (axes' AccessAttempt), so every web node
sees the same count; after AXES_FAILURE_LIMIT failures the pair is refused for
AXES_COOLOFF_TIME, even with the right password, and a success resets the count. Per pair, not
per address alone: one office behind one address does not lock its colleagues out, and one
username attacked from many addresses does not lock its owner out everywhere.
"""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class ThrottleBackend(AxesStandaloneBackend):
    """Axes' gate, for sign-ins that come through a request (the pages, the admin).

    `authenticate()` called without a request (the shell, `Client.login` in tests) has no
    address to count against, so it is not throttled here; every sign-in form passes one.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def client_address(request: HttpRequest) -> str | None:
    """The visitor's address: REMOTE_ADDR after core.proxy.TrustedProxyMiddleware (which
    believes our own proxy's header, and nobody else's)."""
    return request.META.get("REMOTE_ADDR")
