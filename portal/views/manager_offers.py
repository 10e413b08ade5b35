"""The manager's offer desk: the list of offers, a new offer with its first goal and terms,
and the offer page (portal/views/offer_page.py: the offer, its goals with both sides of their
terms, caps and per-publisher overrides), all written through offers/services.py.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from offers.selectors import overrides_visible_to
from offers.services import offer_create, override_update
from portal.form_errors import form_errors_add
from portal.manager_forms import GoalTermsForm, OfferForm
from portal.manager_selectors import offers_for_desk
from portal.roles import MANAGER, role_required
from portal.views.offer_page import OfferPage, goal_terms_save, offer_or_404

PAGE_SIZE = 50


@role_required(MANAGER)
def offers(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    page = Paginator(offers_for_desk(user=request.user, q=q), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/manager/offers.html", {"page": page, "q": q})


@role_required(MANAGER)
def offer_new(request: HttpRequest) -> HttpResponse:
    """A new offer with its first goal and terms: nothing is kept unless all three are."""
    form = OfferForm(request.POST or None, initial={"attribution_window_seconds": 30 * 86400})
    goal_form = GoalTermsForm(
        request.POST or None,
        prefix="goal",
        initial={**OfferPage.new_goal_initial, "name": "Sale", "ref": "sale", "is_default": True},
    )
    if request.method == "POST" and form.is_valid() and goal_form.is_valid():
        target = form
        try:
            with transaction.atomic():
                offer = offer_create(
                    advertiser=form.cleaned_data["advertiser"], fields=form.service_fields()
                )
                target = goal_form
                goal_terms_save(goal=None, offer=offer, form=goal_form, actor=request.user)
        except DomainError as exc:
            form_errors_add(form=target, error=exc)
        else:
            messages.success(request, f"Offer “{offer.name}” created.")
            return redirect("portal:manager-offer", offer_id=offer.pk)
    return render(
        request,
        "portal/manager/offer_new.html",
        {"form": form, "goal_form": goal_form},
    )


@role_required(MANAGER)
def offer_edit(request: HttpRequest, offer_id: int) -> HttpResponse:
    return OfferPage(request, offer_or_404(request, offer_id)).respond()


@role_required(MANAGER)
def override_end(request: HttpRequest, offer_id: int, override_id: int) -> HttpResponse:
    """End an override now (its rows stay: conversions it priced keep pointing at it)."""
    offer = offer_or_404(request, offer_id)
    if request.method != "POST":
        return redirect("portal:manager-offer", offer_id=offer.pk)
    override = overrides_visible_to(user=request.user).filter(offer=offer, id=override_id).first()
    if override is None:
        raise Http404("No such override.")
    try:
        override_update(override=override, fields={"valid_to": timezone.now()}, actor=request.user)
    except DomainError as exc:
        messages.error(request, f"Override not ended: {exc.message}")
    else:
        messages.success(request, f"Override for {override.publisher.name} ended.")
    return redirect(reverse("portal:manager-offer", args=[offer.pk]) + "#overrides")
