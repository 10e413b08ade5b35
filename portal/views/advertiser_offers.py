"""The advertiser's offer page: its own offer (name, description, landing and preview URLs,
countries and devices), its goals with what it pays for each, and its caps on conversions.

Written through offers/services.py with `actor=request.user`, so the money policy decides as it
does for the API: an advertiser raises its revenue, but a cut (or another kind) on a live offer
is a manager's decision (`terms.revenue_set`); the page then offers to ask the network, which
tells the managers. Payouts, overrides, payout caps and the offer's currency never appear here.
Another advertiser's offer is a 404 (rows come from `offers_visible_to`).

Each section is its own form posting a `part` to the same URL; a valid post is redirected back
(POST-redirect-GET), a refused one re-renders with the service's messages beside the fields.
"""

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from core.errors import DomainError, ForbiddenError
from offers.models import Goal, Offer
from offers.selectors import caps_visible_to, offers_visible_to
from offers.services import (
    cap_create,
    cap_update,
    goal_create,
    goal_update,
    offer_update,
    terms_create,
    terms_cut_live_revenue,
    terms_revenue_cut_ask,
    terms_update,
)
from portal.advertiser_forms import (
    AdvertiserCapForm,
    AdvertiserGoalForm,
    AdvertiserOfferForm,
    AskNetworkForm,
)
from portal.form_errors import form_errors_add
from portal.manager_forms import figure_plain
from portal.roles import ADVERTISER, role_required

NEW_GOAL_INITIAL = {"approval": "auto", "kind": "other", "revenue_kind": "cpa_flat"}


def _offer_or_404(request: HttpRequest, offer_id: int) -> Offer:
    offer = offers_visible_to(user=request.user).filter(id=offer_id).first()
    if offer is None:
        raise Http404("No such offer.")
    return offer


def _goal_save(*, goal: Goal | None, offer: Offer, form: AdvertiserGoalForm, actor: Any) -> Goal:
    """The goal and its revenue in one transaction: refused terms keep no goal either."""
    with transaction.atomic():
        if goal is None:
            goal = goal_create(offer=offer, fields=form.goal_fields())
            terms_create(goal=goal, fields=form.terms_fields(), actor=actor)
            return goal
        goal = goal_update(goal=goal, fields=form.goal_fields())
        terms = getattr(goal, "terms", None)
        if terms is None:
            terms_create(goal=goal, fields=form.terms_fields(), actor=actor)
        else:
            terms_update(terms=terms, fields=form.terms_fields(), actor=actor)
    return goal


class AdvertiserOfferPage:
    def __init__(self, request: HttpRequest, offer: Offer) -> None:
        self.request, self.offer = request, offer
        self.part = request.POST.get("part", "") if request.method == "POST" else ""
        data = request.POST if self.part else None
        self.offer_form = AdvertiserOfferForm(
            data if self.part == "offer" else None, initial=AdvertiserOfferForm.initial_of(offer)
        )
        self.goals = list(offer.goals.select_related("terms").order_by("id"))
        self.goal_forms = [
            (
                goal,
                AdvertiserGoalForm(
                    data if self.part == f"goal-{goal.pk}" else None,
                    prefix=f"goal-{goal.pk}",
                    initial=AdvertiserGoalForm.initial_of(goal),
                ),
            )
            for goal in self.goals
        ]
        self.new_goal_form = AdvertiserGoalForm(
            data if self.part == "goal-new" else None, prefix="goal-new", initial=NEW_GOAL_INITIAL
        )
        self.caps = list(caps_visible_to(user=request.user).filter(offer=offer).order_by("id"))
        self.cap_forms = [
            (
                cap,
                AdvertiserCapForm(
                    data if self.part == f"cap-{cap.pk}" else None,
                    prefix=f"cap-{cap.pk}",
                    offer=offer,
                    initial={
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
        self.new_cap_form = AdvertiserCapForm(
            data if self.part == "cap-new" else None, prefix="cap-new", offer=offer
        )
        # A refused cut: the figures the advertiser may ask a manager to set, per goal id.
        self.ask_forms: dict[int, AskNetworkForm] = {}

    def handle(self) -> tuple[str, str] | None:
        actor, offer = self.request.user, self.offer
        if self.part == "offer":
            form = self.offer_form
            if form.is_valid():
                return self._try(
                    form,
                    lambda: offer_update(offer=offer, fields=form.service_fields(), actor=actor),
                    "Offer saved.",
                    "offer",
                )
            return None
        for goal, form in self.goal_forms:
            if self.part == f"goal-{goal.pk}" and form.is_valid():
                asked = form.terms_fields()  # before a refusal takes fields out of cleaned_data
                done = self._try(
                    form,
                    lambda goal=goal, form=form: _goal_save(
                        goal=goal, offer=offer, form=form, actor=actor
                    ),
                    f"Goal “{goal.name}” saved.",
                    f"goal-{goal.pk}",
                )
                terms = getattr(goal, "terms", None)
                if done is None and terms is not None:
                    terms.refresh_from_db()
                    if terms_cut_live_revenue(terms=terms, fields=asked):
                        self.ask_forms[goal.pk] = AskNetworkForm(
                            prefix=f"ask-{goal.pk}", initial=asked
                        )
                return done
            if self.part == f"ask-{goal.pk}":
                return self._ask(goal)
        if self.part == "goal-new" and self.new_goal_form.is_valid():
            return self._try(
                self.new_goal_form,
                lambda: _goal_save(goal=None, offer=offer, form=self.new_goal_form, actor=actor),
                "Goal added. The network sets what publishers earn on it before it runs.",
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
        return None

    def _ask(self, goal: Goal) -> tuple[str, str] | None:
        form = AskNetworkForm(self.request.POST, prefix=f"ask-{goal.pk}")
        terms = getattr(goal, "terms", None)
        if not form.is_valid() or terms is None:
            messages.error(self.request, "Nothing was asked: the figures did not come through.")
            return None
        try:
            terms_revenue_cut_ask(
                terms=terms, fields=form.cleaned_data, requested_by=self.request.user
            )
        except DomainError as exc:
            messages.error(self.request, f"Nothing was asked: {exc.message}")
            return None
        return (
            f"The network was asked to lower what you pay on “{goal.name}”. Until a manager "
            "does, the current revenue stands.",
            f"goal-{goal.pk}",
        )

    def _try(self, form, write, message: str, anchor: str) -> tuple[str, str] | None:
        try:
            with transaction.atomic():
                write()
        except ForbiddenError as exc:
            form.add_error(None, exc.message)
            return None
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
            return None
        return message, anchor

    def context(self) -> dict[str, Any]:
        return {
            "offer": self.offer,
            "offer_form": self.offer_form,
            "goal_forms": [
                (goal, form, self.ask_forms.get(goal.pk)) for goal, form in self.goal_forms
            ],
            "new_goal_form": self.new_goal_form,
            "cap_forms": self.cap_forms,
            "new_cap_form": self.new_cap_form,
            "part": self.part,
        }


@role_required(ADVERTISER)
def offer_edit(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer_or_404(request, offer_id)
    page = AdvertiserOfferPage(request, offer)
    if page.part:
        done = page.handle()
        if done is not None:
            messages.success(request, done[0])
            return redirect(reverse("portal:advertiser-offer", args=[offer.pk]) + f"#{done[1]}")
        if not page.part.startswith("ask-"):
            messages.error(request, "Nothing was saved: see the messages beside the fields.")
        else:
            return redirect(reverse("portal:advertiser-offer", args=[offer.pk]) + "#goals")
    return render(request, "portal/advertiser/offer_page.html", page.context())
