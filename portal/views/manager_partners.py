"""Publishers and advertisers as the manager sees them (their users and API keys, by prefix
only: the key itself is never stored), and the callback inbox with refused callbacks and why."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User
from affiliates.selectors import offer_accesses_visible_to, publishers_visible_to
from core.validation import whole_number
from offers.selectors import advertisers_visible_to, offers_visible_to, overrides_visible_to
from portal.manager_selectors import (
    advertisers_for_desk,
    api_keys_of,
    callbacks_for_desk,
    publishers_for_desk,
)
from portal.roles import MANAGER, role_required
from tracking.explanation_words import callback_result_in_words

PAGE_SIZE = 50


@role_required(MANAGER)
def publishers(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    page = Paginator(publishers_for_desk(user=request.user, q=q), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/manager/publishers.html", {"page": page, "q": q})


@role_required(MANAGER)
def publisher_detail(request: HttpRequest, publisher_id: int) -> HttpResponse:
    publisher = publishers_visible_to(user=request.user).filter(id=publisher_id).first()
    if publisher is None:
        raise Http404("No such publisher.")
    users = User.objects.filter(publisher=publisher).order_by("username")
    return render(
        request,
        "portal/manager/publisher_detail.html",
        {
            "publisher": publisher,
            "users": users,
            "keys": api_keys_of(user=request.user, owners=users).order_by("-id"),
            "accesses": offer_accesses_visible_to(user=request.user)
            .filter(publisher=publisher)
            .select_related("offer")
            .order_by("-id"),
            "overrides": overrides_visible_to(user=request.user)
            .filter(publisher=publisher)
            .select_related("offer", "goal")
            .order_by("-id"),
        },
    )


@role_required(MANAGER)
def advertisers(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    page = Paginator(advertisers_for_desk(user=request.user, q=q), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/manager/advertisers.html", {"page": page, "q": q})


@role_required(MANAGER)
def advertiser_detail(request: HttpRequest, advertiser_id: int) -> HttpResponse:
    advertiser = advertisers_visible_to(user=request.user).filter(id=advertiser_id).first()
    if advertiser is None:
        raise Http404("No such advertiser.")
    users = User.objects.filter(advertiser=advertiser).order_by("username")
    refused = list(
        callbacks_for_desk(
            user=request.user, refused_only=True, advertiser_id=advertiser.pk, result=""
        )[:10]
    )
    for row in refused:
        row.words = callback_result_in_words(row.result)
    return render(
        request,
        "portal/manager/advertiser_detail.html",
        {
            "advertiser": advertiser,
            "users": users,
            "keys": api_keys_of(user=request.user, owners=users).order_by("-id"),
            "offers": offers_visible_to(user=request.user)
            .filter(advertiser=advertiser)
            .order_by("name"),
            "refused": refused,
        },
    )


@role_required(MANAGER)
def callback_inbox(request: HttpRequest) -> HttpResponse:
    """Refused callbacks by default (`?all=1` shows every one), newest first, with why."""
    show_all = request.GET.get("all") == "1"
    advertiser_id = whole_number(request.GET.get("advertiser", ""))
    result = request.GET.get("result", "")[:48]
    rows = callbacks_for_desk(
        user=request.user,
        refused_only=not show_all,
        advertiser_id=advertiser_id,
        result=result,
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page:
        row.words = callback_result_in_words(row.result)
    return render(
        request,
        "portal/manager/callback_inbox.html",
        {
            "page": page,
            "show_all": show_all,
            "advertisers": advertisers_visible_to(user=request.user).order_by("name"),
            "advertiser_id": advertiser_id,
            "result": result,
        },
    )
