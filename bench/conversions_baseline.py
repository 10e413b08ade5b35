"""Baseline for bench/conversions.py: a plain Django view that checks the token and saves the
callback with the ORM, served through Django's full stack (URL resolver, every middleware).

What a first version of the endpoint would do: find the click (by its id and its ULID's time,
so the read hits its partition as the real endpoint's does), then its offer's advertiser, compare
the token's sha256 with the advertiser's stored hash, `CallbackInbox.objects.create(...)` and
answer 200 once the row is committed (autocommit). No batching, no lean handler, no rate limit.
"""

import hashlib
import hmac

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from offers.models import Offer
from tracking.clicks.ids import click_id_time
from tracking.models import CallbackInbox, Click


def baseline_postback(request: HttpRequest) -> HttpResponse:
    click_id = request.GET.get("click_id", "")
    try:
        click = Click.objects.filter(click_id=click_id, created_at=click_id_time(click_id)).first()
    except ValueError:
        click = None
    if click is None:
        return JsonResponse({"error": "unknown_click"}, status=400)
    advertiser = Offer.objects.select_related("advertiser").get(id=click.offer_id).advertiser
    token = hashlib.sha256(request.GET.get("token", "").encode()).hexdigest()
    if not hmac.compare_digest(token, advertiser.postback_secret_hash or ""):
        return JsonResponse({"error": "bad_token"}, status=403)
    row = CallbackInbox.objects.create(
        dialect="s2s",
        method=request.method,
        path=request.path,
        params={k: v for k, v in request.GET.items() if k != "token"},
        headers={"User-Agent": request.META.get("HTTP_USER_AGENT", "")},
        remote_ip=request.META.get("REMOTE_ADDR"),
        advertiser_id=advertiser.id,
        click_id=click_id,
    )
    return JsonResponse({"status": "ok", "id": row.id})


urlpatterns = [path("base/postback", baseline_postback)]
