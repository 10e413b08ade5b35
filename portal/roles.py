"""Who may open a page. The same role rules as the API: `accounts.selectors.user_role`.

A page for another role answers 403 (a page of its own, not a redirect loop); a signed-out
visitor is sent to the sign-in page, and a session that owes a two-factor code (finance users
and superusers always; others once they enrolled) to the two-factor page. Rows inside a page
come from the owning app's selectors, so a foreign id is a 404 exactly as in the API.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import Role
from accounts.selectors import user_role
from accounts.two_factor import two_factor_step

PUBLISHER = Role.PUBLISHER.value
ADVERTISER = Role.ADVERTISER.value
FINANCE = Role.FINANCE.value
MANAGER = Role.MANAGER.value
STAFF = frozenset({FINANCE, MANAGER})
ANYONE = frozenset({PUBLISHER, ADVERTISER, FINANCE, MANAGER})


def role_home(role: str | None) -> str:
    """The landing page of a role (the URL `/` sends a signed-in user to)."""
    return {
        PUBLISHER: reverse("portal:publisher-dashboard"),
        ADVERTISER: reverse("portal:advertiser-offers"),
        FINANCE: reverse("portal:finance-batches"),
        MANAGER: reverse("portal:network-dashboard"),
    }.get(role or "", reverse("portal:login"))


def role_required(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., Any]]:
    allowed = frozenset(roles)

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("portal:login"))
            if user_role(request.user) not in allowed:
                return render(request, "portal/forbidden.html", status=403)
            # Finance users and superusers (and anyone who enrolled) give a code first.
            step = two_factor_step(request)
            if step is not None:
                name = "portal:two-factor-verify" if step == "verify" else "portal:two-factor"
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse(name)}?{query}")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
