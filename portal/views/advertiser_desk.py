"""The advertiser's self-service beyond its conversions' detail: access requests to its own
offers (approve or reject), its integration's refused callbacks with why, and a chart of its
conversions and revenue per day (inline SVG, no script or CDN).

Every row comes from a selector scoped to the advertiser (`offer__advertiser_id`,
`callbacks_visible_to`), so another advertiser's id is a 404 or simply absent."""

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from affiliates.models import OfferAccess
from core.errors import DomainError
from offers.services import offer_access_decide
from portal.manager_selectors import callbacks_for_desk
from portal.roles import ADVERTISER, role_required
from portal.selectors import conversions_visible_to
from tracking.explanation_words import callback_result_in_words

PAGE_SIZE = 50
CHART_DAYS = 30
CHART_HEIGHT = 200  # the SVG's bars; their baseline is y = CHART_HEIGHT


def _accesses(request: HttpRequest):
    return OfferAccess.objects.filter(offer__advertiser_id=request.user.advertiser_id)


@role_required(ADVERTISER)
def access_requests(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", OfferAccess.Status.REQUESTED)
    rows = _accesses(request).select_related("offer", "publisher").order_by("-id")
    if status in OfferAccess.Status.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/advertiser/access_requests.html",
        {"page": page, "status": status, "statuses": OfferAccess.Status.choices},
    )


@role_required(ADVERTISER)
@require_POST
def access_request_decide(request: HttpRequest, access_id: int) -> HttpResponse:
    access = _accesses(request).select_related("offer").filter(pk=access_id).first()
    if access is None:
        raise Http404("No such access request.")
    status = request.POST.get("decision", "")
    try:
        offer_access_decide(access=access, status=status, decided_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Access to {access.offer.name} {status}.")
    return redirect("portal:advertiser-access")


@role_required(ADVERTISER)
def callbacks(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    rows = callbacks_for_desk(
        user=request.user, refused_only=not show_all, advertiser_id=None, result=""
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page:
        row.words = callback_result_in_words(row.result)
    return render(request, "portal/advertiser/callbacks.html", {"page": page, "show_all": show_all})


def chart_points(*, user, days: int = CHART_DAYS) -> list[dict]:
    """Per day of the last `days` (UTC): conversions and approved revenue, as bars' heights."""
    since = (timezone.now() - timedelta(days=days - 1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    per_day = {
        row["day"]: row
        for row in conversions_visible_to(user=user)
        .filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(count=Count("id"), revenue=Sum("revenue"))
    }
    points = []
    for offset in range(days):
        day = (since + timedelta(days=offset)).date()
        row = per_day.get(day, {})
        points.append(
            {"day": day, "count": row.get("count", 0), "revenue": row.get("revenue") or 0}
        )
    top_count = max((p["count"] for p in points), default=0) or 1
    top_revenue = max((p["revenue"] for p in points), default=0) or 1
    for index, point in enumerate(points):
        point["x"] = index * 20
        point["count_h"] = round(CHART_HEIGHT * point["count"] / top_count)
        point["revenue_h"] = round(CHART_HEIGHT * float(point["revenue"]) / float(top_revenue))
        point["count_y"] = CHART_HEIGHT - point["count_h"]
        point["revenue_y"] = CHART_HEIGHT - point["revenue_h"]
    return points


@role_required(ADVERTISER)
def chart(request: HttpRequest) -> HttpResponse:
    points = chart_points(user=request.user)
    totals = {
        "count": sum(p["count"] for p in points),
        "revenue": sum(p["revenue"] for p in points),
    }
    return render(
        request,
        "portal/advertiser/chart.html",
        {"points": points, "totals": totals, "days": CHART_DAYS},
    )
