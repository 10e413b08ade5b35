"""Creatives and smart links as pages (issue 17).

- Publishers: /publisher/creatives/ (the approved creatives of the offers they may run, each
  with its code, their tracking link filled in, to copy; a banner's preview from storage) and
  /publisher/smart-links/ (their smart links: make one, list them; each one's recent choices
  explained in words).
- Managers: /manager/creatives/ (the queue of creatives waiting for approval: approve or
  reject, each asked to confirm, POST-redirect-GET).
- Advertisers: /advertiser/creatives/ (their offers' creatives, approved or waiting; add one,
  upload a banner's image).

Every read goes through the API's selectors (creatives_visible_to, smart_links_visible_to), so
a page shows exactly what the API would: another publisher's smart link is a 404, a
publisher never sees an unapproved creative. Every write goes through the API's services
(offers/creative_services.py with its Pillow checks, tracking/smart_links.py).
"""

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from offers.creative_services import (
    creative_approve,
    creative_image_upload,
    creative_reject,
    creative_save,
    creatives_visible_to,
)
from offers.creatives import Creative
from portal.creative_forms import BannerImageForm, CreativeForm, SmartLinkForm
from portal.form_errors import form_errors_add
from portal.roles import ADVERTISER, MANAGER, PUBLISHER, role_required
from tracking.creatives import creative_click_url, creative_code
from tracking.models import Click, SmartLink
from tracking.smart_link_explain import smart_choice_explain
from tracking.smart_links import smart_link_save, smart_link_url, smart_links_visible_to

SHOWN = 200
RECENT_CHOICES = 20


def _preview(creative: Creative) -> str:
    """A banner's image as the storage serves it (its file), else its image URL."""
    if creative.image_file:
        return creative.image_file.url
    return creative.image_url


# Publishers.


@role_required(PUBLISHER)
def publisher_creatives(request: HttpRequest) -> HttpResponse:
    creatives = creatives_visible_to(user=request.user).select_related("offer")
    offer_id = request.GET.get("offer", "")
    if offer_id.isascii() and offer_id.isdigit():
        creatives = creatives.filter(offer_id=int(offer_id))
    rows = []
    for creative in creatives.order_by("offer__name", "name", "id")[:SHOWN]:
        click_url = creative_click_url(creative=creative, publisher_id=request.user.publisher_id)
        rows.append(
            {
                "creative": creative,
                "click_url": click_url,
                "code": creative_code(creative=creative, click_url=click_url),
                "preview": _preview(creative) if creative.kind == Creative.Kind.BANNER else "",
            }
        )
    return render(request, "portal/publisher/creatives.html", {"rows": rows})


def _smart_links_page(request: HttpRequest, form: SmartLinkForm, status: int = 200):
    links = smart_links_visible_to(user=request.user).prefetch_related("offers__offer")
    rows = [
        {"link": link, "url": smart_link_url(link), "offers": list(link.offers.all())}
        for link in links.order_by("-id")[:SHOWN]
    ]
    return render(
        request, "portal/publisher/smart_links.html", {"rows": rows, "form": form}, status=status
    )


@role_required(PUBLISHER)
def publisher_smart_links(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _smart_links_page(request, SmartLinkForm(user=request.user))
    form = SmartLinkForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            link = smart_link_save(
                actor=request.user,
                smart_link=None,
                fields={
                    "name": data["name"],
                    "rule": data["rule"],
                    "fallback_url": data["fallback_url"],
                    "offers": [{"offer": offer, "weight": 1} for offer in data["offers"]],
                },
            )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            messages.success(request, f"Smart link {smart_link_url(link)} made.")
            return redirect("portal:publisher-smart-link", link_id=link.id)
    return _smart_links_page(request, form, status=400)


def _own_link(request: HttpRequest, link_id: int) -> SmartLink:
    link = smart_links_visible_to(user=request.user).filter(id=link_id).first()
    if link is None:
        raise Http404("No such smart link.")
    return link


def _choices(link: SmartLink) -> list[dict[str, Any]]:
    clicks: QuerySet[Click] = Click.objects.filter(smart_link_id=link.id).order_by("-created_at")
    names = {item.offer_id: item.offer.name for item in link.offers.select_related("offer")}
    shown = []
    for click in clicks[:RECENT_CHOICES]:
        choice = smart_choice_explain(
            text=click.smart_choice, offer_id=click.offer_id, with_epc=False
        )
        if choice is None:
            continue
        for candidate in choice["candidates"]:
            candidate["name"] = names.get(candidate["offer_id"], f"offer {candidate['offer_id']}")
        chosen = choice["chosen_offer_id"]
        shown.append(
            {
                "click": click,
                "choice": choice,
                "chosen_name": names.get(chosen, "") if chosen else "",
            }
        )
    return shown


@role_required(PUBLISHER)
def publisher_smart_link(request: HttpRequest, link_id: int) -> HttpResponse:
    link = _own_link(request, link_id)
    return render(
        request,
        "portal/publisher/smart_link.html",
        {
            "link": link,
            "url": smart_link_url(link),
            "offers": list(link.offers.select_related("offer")),
            "choices": _choices(link),
        },
    )


# Managers.


@role_required(MANAGER)
def manager_creatives(request: HttpRequest) -> HttpResponse:
    waiting = (
        creatives_visible_to(user=request.user)
        .filter(approved=False, is_active=True)
        .select_related("offer", "offer__advertiser")
        .order_by("id")
    )
    rows = [{"creative": creative, "preview": _preview(creative)} for creative in waiting[:SHOWN]]
    return render(request, "portal/manager/creatives.html", {"rows": rows})


@role_required(MANAGER)
@require_POST
def manager_creative_decide(request: HttpRequest, creative_id: int, verb: str) -> HttpResponse:
    creative = creatives_visible_to(user=request.user).filter(id=creative_id).first()
    if creative is None or verb not in ("approve", "reject"):
        raise Http404("No such creative.")
    try:
        if verb == "approve":
            creative_approve(creative=creative, actor=request.user)
            messages.success(request, f"Creative {creative.name} approved: publishers see it.")
        else:
            creative_reject(creative=creative, actor=request.user)
            messages.success(request, f"Creative {creative.name} rejected and switched off.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal:manager-creatives")


# Advertisers.


def _advertiser_page(request: HttpRequest, form: CreativeForm, status: int = 200) -> HttpResponse:
    creatives = creatives_visible_to(user=request.user).select_related("offer")
    rows = [
        {"creative": creative, "preview": _preview(creative)}
        for creative in creatives.order_by("offer__name", "name", "id")[:SHOWN]
    ]
    return render(
        request,
        "portal/advertiser/creatives.html",
        {"rows": rows, "form": form, "image_form": BannerImageForm()},
        status=status,
    )


@role_required(ADVERTISER)
def advertiser_creatives(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _advertiser_page(request, CreativeForm(user=request.user))
    form = CreativeForm(request.POST, request.FILES, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in ("offer", "name", "kind", "text", "html")}
        fields["image_url"] = data["image_url"]
        try:
            with transaction.atomic():  # a refused image leaves no creative behind
                creative = creative_save(creative=Creative(), fields=fields, actor=request.user)
                if data["image"] is not None:
                    creative_image_upload(
                        creative=creative, upload=data["image"], actor=request.user
                    )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            messages.success(
                request, f"Creative {creative.name} saved: it waits for a manager's approval."
            )
            return redirect("portal:advertiser-creatives")
    return _advertiser_page(request, form, status=400)


@role_required(ADVERTISER)
@require_POST
def advertiser_creative_image(request: HttpRequest, creative_id: int) -> HttpResponse:
    creative = creatives_visible_to(user=request.user).filter(id=creative_id).first()
    if creative is None:
        raise Http404("No such creative.")
    form = BannerImageForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose an image file to upload.")
        return redirect("portal:advertiser-creatives")
    try:
        creative_image_upload(
            creative=creative, upload=form.cleaned_data["image"], actor=request.user
        )
    except DomainError as exc:
        messages.error(request, f"{creative.name}: {exc.message}")
    else:
        messages.success(
            request, f"Image of {creative.name} stored: it waits for a manager's approval again."
        )
    return redirect("portal:advertiser-creatives")
