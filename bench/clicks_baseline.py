"""Baseline for bench/clicks.py: a plain Django view that saves the click with the ORM and
redirects, served through Django's full stack (URL resolver, every middleware)."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path
from ulid import ULID

from tracking.models import Click, TrackingLink


def baseline_click(request: HttpRequest, code: str) -> HttpResponse:
    link = get_object_or_404(TrackingLink.objects.select_related("offer"), code=code)
    click_id = ULID()
    Click.objects.create(
        click_id=str(click_id),
        created_at=click_id.datetime,
        offer_id=link.offer_id,
        publisher_id=link.publisher_id,
        link_id=link.id,
        ip=request.META.get("REMOTE_ADDR"),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        referrer=request.META.get("HTTP_REFERER", ""),
        sub1=request.GET.get("sub1", ""),
        sub2=request.GET.get("sub2", ""),
        source=request.GET.get("source", ""),
    )
    return HttpResponseRedirect(link.offer.landing_url.replace("{click_id}", str(click_id)))


urlpatterns = [path("base/c/<str:code>", baseline_click)]
