"""Per-API-key rate limiting for the REST API.

Keyed by the key's public prefix, not the user: a publisher with a runaway script on one key
does not lock its other integrations out. Requests without a key (session logins) are keyed by
user, anonymous ones by client address. The counters live in the default cache, which is Redis
in production, so the limit holds across every web node. The rate is API_KEY_THROTTLE_RATE
(e.g. "6000/min"); the click, pixel and callback paths are not DRF views and are limited at the
edge instead (deploy/nginx).
"""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

if TYPE_CHECKING:
    from rest_framework.request import Request

# DRF imports this module while it builds APIView (DEFAULT_THROTTLE_CLASSES), so nothing here
# may import rest_framework.views or models at import time.


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_rate(self) -> str | None:
        # Read at request time rather than from DRF's import-time THROTTLE_RATES, so the rate
        # follows settings (and tests can lower it with override_settings).
        return settings.API_KEY_THROTTLE_RATE or None

    def get_cache_key(self, request: "Request", view: Any) -> str | None:
        # request.auth is the ApiKey row when ApiKeyAuthentication let the request in.
        prefix = getattr(request.auth, "prefix", None)
        if prefix:
            ident = f"key:{prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
