"""The advertiser's offer page: its own offer (name, description, landing and preview URLs,
countries and devices), its goals with what it pays for each, and its caps on conversions.

Written through offers/services.py with `actor=request.user`, so the money policy decides as it
does for the API: an advertiser raises its revenue, but a cut (or another kind) on a live offer
is a manager's decision (`terms.revenue_set`); the page then offers to ask the network: a
revenue-cut request (offers/revenue_cut_services.py), shown under its goal with a withdraw button
until a manager approves or rejects it on /network/revenue-cuts/. Payouts, overrides, payout caps
and the offer's currency never appear here. Another advertiser's offer is a 404 (rows come from
`offers_visible_to`).

The page is the manager's (portal/views/offer_page.py) with the advertiser's forms: each section
is its own form posting a `part` to the same URL; a valid post is redirected back
(POST-redirect-GET), a refused one re-renders with the service's messages beside the fields.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from core.errors import DomainError
from offers.models import Goal
from offers.revenue_cut_services import (
    revenue_cut_pending_of,
    revenue_cut_proposed,
    revenue_cut_request,
    revenue_cut_was,
    revenue_cut_withdraw,
)
from offers.services import terms_cut_live_revenue
from portal.advertiser_forms import (
    AdvertiserCapForm,
    AdvertiserGoalForm,
    AdvertiserOfferForm,
    AskNetworkForm,
)
from portal.roles import ADVERTISER, role_required
from portal.views.offer_page import Done, OfferPage, offer_or_404


class AdvertiserOfferPage(OfferPage):
    """The offer page with the advertiser's forms, no overrides, and "Ask the network" under a
    goal whose revenue cut the policy refused."""

    offer_form_class = AdvertiserOfferForm
    goal_form_class = AdvertiserGoalForm
    cap_form_class = AdvertiserCapForm
    new_goal_initial = {"approval": "auto", "kind": "other", "revenue_kind": "cpa_flat"}
    with_overrides = False
    template_name = "portal/advertiser/offer_page.html"
    url_name = "portal:advertiser-offer"
    goal_saved = "Goal “{name}” saved."
    goal_added = "Goal added. The network sets what publishers earn on it before it runs."

    def __init__(self, request: HttpRequest, offer: Any) -> None:
        super().__init__(request, offer)
        # A refused cut: the figures the advertiser may ask a manager to set, per goal id.
        self.ask_forms: dict[int, AskNetworkForm] = {}
        # Each goal's pending revenue-cut request, shown under it with a withdraw button.
        pending = revenue_cut_pending_of(goal_ids=[goal.pk for goal in self.goals])
        for goal in self.goals:
            cut = pending.get(goal.pk)
            if cut is not None:
                cut.was_words, cut.proposed_words = revenue_cut_was(cut), revenue_cut_proposed(cut)
            goal.pending_cut = cut

    def goal_post(self, goal: Goal, form: Any) -> Done:
        asked = form.terms_fields()  # before a refusal takes fields out of cleaned_data
        done = super().goal_post(goal, form)
        terms = getattr(goal, "terms", None)
        if done is None and terms is not None:
            terms.refresh_from_db()
            if terms_cut_live_revenue(terms=terms, fields=asked):
                self.ask_forms[goal.pk] = AskNetworkForm(prefix=f"ask-{goal.pk}", initial=asked)
        return done

    def handle_other(self) -> Done:
        for goal in self.goals:
            if self.part == f"ask-{goal.pk}":
                return self.ask_network(goal)
            if self.part == f"withdraw-{goal.pk}":
                return self.cut_withdraw(goal)
        return None

    def ask_network(self, goal: Goal) -> Done:
        """The "Ask the network" form posted under `goal`: a revenue-cut request that a manager
        approves or rejects on /network/revenue-cuts/ (offers/revenue_cut_services.py)."""
        form = AskNetworkForm(self.request.POST, prefix=f"ask-{goal.pk}")
        if not form.is_valid():
            messages.error(self.request, "Nothing was asked: the figures did not come through.")
            return None
        data = form.cleaned_data
        try:
            revenue_cut_request(
                goal=goal,
                fields={name: data[name] for name in data if name != "reason"},
                reason=data["reason"],
                requested_by=self.request.user,
            )
        except DomainError as exc:
            messages.error(self.request, f"Nothing was asked: {exc.message}")
            return None
        return (
            f"The network was asked to lower what you pay on “{goal.name}”. Until a manager "
            "approves it, the current revenue stands.",
            f"goal-{goal.pk}",
        )

    def cut_withdraw(self, goal: Goal) -> Done:
        """The withdraw button under a goal's pending revenue-cut request."""
        cut = getattr(goal, "pending_cut", None)
        if cut is None or self.request.POST.get("cut") != str(cut.pk):
            messages.error(self.request, "Nothing was withdrawn: that request is not pending.")
            return None
        try:
            revenue_cut_withdraw(request_id=cut.pk, withdrawn_by=self.request.user)
        except DomainError as exc:
            messages.error(self.request, f"Nothing was withdrawn: {exc.message}")
            return None
        return f"Your request on “{goal.name}” is withdrawn.", f"goal-{goal.pk}"

    def goal_rows(self) -> list[tuple[Goal, Any, Any]]:
        return [(goal, form, self.ask_forms.get(goal.pk)) for goal, form in self.goal_forms]

    def refused(self) -> HttpResponse | None:
        if self.part.startswith(("ask-", "withdraw-")):  # ask_network/cut_withdraw said why
            return redirect(self.url("goals"))
        return super().refused()


@role_required(ADVERTISER)
def offer_edit(request: HttpRequest, offer_id: int) -> HttpResponse:
    return AdvertiserOfferPage(request, offer_or_404(request, offer_id)).respond()
