"""The manager's offer page: the offer, its goals with their terms (revenue and payout sides),
caps and per-publisher overrides, on one page, created and edited through offers/services.py.

Each section is its own form posting to the same URL with a `part` naming it; a valid post is
written by the service (which asks the money policy with `actor=request.user`, exactly as the
API does) and redirected back (POST-redirect-GET); a refused one re-renders the page with the
service's messages beside the fields they name, and nothing written.
"""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from offers.models import Goal, Offer
from offers.selectors import caps_visible_to, offers_visible_to, overrides_visible_to
from offers.services import (
    cap_create,
    cap_update,
    goal_create,
    goal_update,
    offer_create,
    offer_update,
    override_create,
    override_update,
    terms_create,
    terms_update,
)
from portal.form_errors import form_errors_add
from portal.manager_forms import CapForm, GoalTermsForm, OfferForm, OverrideForm, figure_plain
from portal.manager_selectors import offers_for_desk
from portal.roles import MANAGER, role_required

PAGE_SIZE = 50
NEW_GOAL_INITIAL = {"approval": "auto", "revenue_kind": "cpa_flat", "payout_kind": "cpa_flat"}


@role_required(MANAGER)
def offers(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    page = Paginator(offers_for_desk(user=request.user, q=q), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/manager/offers.html", {"page": page, "q": q})


def _goal_terms_save(*, goal: Goal | None, offer: Offer, form: GoalTermsForm, actor: Any) -> Goal:
    """The goal and its terms in one transaction: terms refused means the goal is not kept."""
    with transaction.atomic():
        if goal is None:
            fields = form.goal_fields()
            if not fields["is_default"]:
                del fields["is_default"]  # the service makes an offer's first goal its default
            goal = goal_create(offer=offer, fields=fields)
        else:
            goal = goal_update(goal=goal, fields=form.goal_fields())
        terms = getattr(goal, "terms", None) if goal.pk else None
        if terms is None:
            terms_create(goal=goal, fields=form.terms_fields(), actor=actor)
        else:
            terms_update(terms=terms, fields=form.terms_fields(), actor=actor)
    return goal


@role_required(MANAGER)
def offer_new(request: HttpRequest) -> HttpResponse:
    """A new offer with its first goal and terms: nothing is kept unless all three are."""
    form = OfferForm(request.POST or None, initial={"attribution_window_seconds": 30 * 86400})
    goal_form = GoalTermsForm(
        request.POST or None,
        prefix="goal",
        initial={**NEW_GOAL_INITIAL, "name": "Sale", "ref": "sale", "is_default": True},
    )
    if request.method == "POST" and form.is_valid() and goal_form.is_valid():
        target = form
        try:
            with transaction.atomic():
                offer = offer_create(
                    advertiser=form.cleaned_data["advertiser"], fields=form.service_fields()
                )
                target = goal_form
                _goal_terms_save(goal=None, offer=offer, form=goal_form, actor=request.user)
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


def _offer_or_404(request: HttpRequest, offer_id: int) -> Offer:
    offer = offers_visible_to(user=request.user).select_related("advertiser").filter(id=offer_id)
    found = offer.first()
    if found is None:
        raise Http404("No such offer.")
    return found


class OfferPage:
    """The page's forms, one bound to the posted part (if any), the others showing the rows."""

    def __init__(self, request: HttpRequest, offer: Offer) -> None:
        self.request, self.offer = request, offer
        self.part = request.POST.get("part", "") if request.method == "POST" else ""
        data = request.POST if self.part else None
        self.offer_form = OfferForm(
            data if self.part == "offer" else None, initial=OfferForm.initial_of(offer)
        )
        self.goals = list(offer.goals.select_related("terms").order_by("id"))
        self.goal_forms = [
            (
                goal,
                GoalTermsForm(
                    data if self.part == f"goal-{goal.pk}" else None,
                    prefix=f"goal-{goal.pk}",
                    initial=GoalTermsForm.initial_of(goal),
                ),
            )
            for goal in self.goals
        ]
        self.new_goal_form = GoalTermsForm(
            data if self.part == "goal-new" else None, prefix="goal-new", initial=NEW_GOAL_INITIAL
        )
        user = request.user
        self.caps = list(
            caps_visible_to(user=user)
            .filter(offer=offer)
            .select_related("publisher")
            .order_by("id")
        )
        self.cap_forms = [
            (
                cap,
                CapForm(
                    data if self.part == f"cap-{cap.pk}" else None,
                    prefix=f"cap-{cap.pk}",
                    offer=offer,
                    initial={
                        "publisher": cap.publisher_id,
                        "goal": cap.goal_id,
                        "counts": cap.counts,
                        "period": cap.period,
                        "metric": cap.metric,
                        "limit": figure_plain(cap.limit, places=0),
                        "action": cap.action,
                    },
                ),
            )
            for cap in self.caps
        ]
        self.new_cap_form = CapForm(
            data if self.part == "cap-new" else None, prefix="cap-new", offer=offer
        )
        self.overrides = list(
            overrides_visible_to(user=user)
            .filter(offer=offer)
            .select_related("publisher", "goal")
            .order_by("publisher__name", "id")
        )
        self.new_override_form = OverrideForm(
            data if self.part == "override-new" else None, prefix="override-new", offer=offer
        )

    def handle(self) -> tuple[str, str] | None:
        """Write the posted part; (message, anchor) when it was written, else None."""
        actor, offer = self.request.user, self.offer
        if self.part == "offer":
            form = self.offer_form
            if form.is_valid():
                if form.cleaned_data["advertiser"].pk != offer.advertiser_id:
                    form.add_error("advertiser", "An offer's advertiser cannot change.")
                    return None
                return self._try(
                    form,
                    lambda: offer_update(offer=offer, fields=form.service_fields()),
                    "Offer saved.",
                    "offer",
                )
            return None
        for goal, form in self.goal_forms:
            if self.part == f"goal-{goal.pk}" and form.is_valid():
                return self._try(
                    form,
                    lambda goal=goal, form=form: _goal_terms_save(
                        goal=goal, offer=offer, form=form, actor=actor
                    ),
                    f"Goal “{goal.name}” and its terms saved.",
                    f"goal-{goal.pk}",
                )
        if self.part == "goal-new" and self.new_goal_form.is_valid():
            return self._try(
                self.new_goal_form,
                lambda: _goal_terms_save(
                    goal=None, offer=offer, form=self.new_goal_form, actor=actor
                ),
                "Goal added.",
                "goals",
            )
        for cap, form in self.cap_forms:
            if self.part == f"cap-{cap.pk}" and form.is_valid():
                return self._try(
                    form,
                    lambda cap=cap, form=form: cap_update(
                        cap=cap, fields=form.cleaned_data, actor=actor
                    ),
                    "Cap saved.",
                    "caps",
                )
        if self.part == "cap-new" and self.new_cap_form.is_valid():
            return self._try(
                self.new_cap_form,
                lambda: cap_create(offer=offer, fields=self.new_cap_form.cleaned_data, actor=actor),
                "Cap added.",
                "caps",
            )
        if self.part == "override-new" and self.new_override_form.is_valid():
            fields = {**self.new_override_form.cleaned_data, "offer": offer}
            return self._try(
                self.new_override_form,
                lambda: override_create(fields=fields, actor=actor),
                "Override added.",
                "overrides",
            )
        return None

    def _try(self, form, write, message: str, anchor: str) -> tuple[str, str] | None:
        try:
            with transaction.atomic():
                write()
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
            return None
        return message, anchor

    def context(self) -> dict[str, Any]:
        return {
            "offer": self.offer,
            "offer_form": self.offer_form,
            "goal_forms": self.goal_forms,
            "new_goal_form": self.new_goal_form,
            "cap_forms": self.cap_forms,
            "new_cap_form": self.new_cap_form,
            "overrides": self.overrides,
            "new_override_form": self.new_override_form,
            "now": timezone.now(),
            "part": self.part,
        }


@role_required(MANAGER)
def offer_edit(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer_or_404(request, offer_id)
    page = OfferPage(request, offer)
    if page.part:
        done = page.handle()
        if done is not None:
            messages.success(request, done[0])
            return redirect(reverse("portal:manager-offer", args=[offer.pk]) + f"#{done[1]}")
        messages.error(request, "Nothing was saved: see the messages beside the fields.")
    return render(request, "portal/manager/offer_edit.html", page.context())


@role_required(MANAGER)
def override_end(request: HttpRequest, offer_id: int, override_id: int) -> HttpResponse:
    """End an override now (its rows stay: conversions it priced keep pointing at it)."""
    offer = _offer_or_404(request, offer_id)
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
