"""Pages for several roles: sign-in landing and the managers' network dashboard (reports:
portal/views/reports.py)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.selectors import user_role
from portal.roles import MANAGER, role_home, role_required
from portal.selectors import daily_chart, top_rows


def landing(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("portal:login")
    return redirect(role_home(user_role(request.user)))


@role_required(MANAGER)
def network_dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "portal/manager/dashboard.html",
        {
            "top_offers": top_rows(user=user, dimension="offer", metric="revenue"),
            "top_publishers": top_rows(user=user, dimension="publisher", metric="payout"),
            "chart": daily_chart(user=user, metrics=("revenue", "payout")),
        },
    )
