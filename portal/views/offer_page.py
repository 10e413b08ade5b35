"""One offer page for the two roles that edit offers: the offer, its finer targeting and
schedule, its goals with their terms, its caps and (the manager's only) per-publisher overrides,
created and edited through offers/services.py and offers/landing_services.py.

`OfferPage` is the manager's page; `portal/views/advertiser_offers.AdvertiserOfferPage` is the
same page with the advertiser's forms (no payout, currency or network switch in them) and its
"Ask the network" form. What differs between the two is a class attribute or a small method.

Each section is its own form posting to the same URL with a `part` naming it; a valid post is
written by the service (which asks the money policy with `actor=request.user`, exactly as the
API does) and redirected back (POST-redirect-GET); a refused one re-renders the page with the
service's messages beside the fields they name, and nothing written.
"""

from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from offers.landing_services import offer_targeting_set, offer_targetings_visible_to
from offers.models import Goal, Offer
from offers.selectors import caps_visible_to, offers_visible_to, overrides_visible_to
from offers.services import (
    cap_create,
    cap_update,
    goal_create,
    goal_update,
    offer_update,
    override_create,
    terms_create,
    terms_update,
)
from portal.form_errors import form_errors_add
from portal.manager_forms import CapForm, GoalTermsForm, OfferForm, OverrideForm, figure_plain
from portal.targeting_forms import TargetingForm

Done = tuple[str, str] | None  # (message, anchor) when the posted part was written


def offer_or_404(request: HttpRequest, offer_id: int) -> Offer:
    """The offer if the user sees it (its own, for an advertiser); else a 404."""
    found = (
        offers_visible_to(user=request.user)
        .select_related("advertiser")
        .filter(id=offer_id)
        .first()
    )
    if found is None:
        raise Http404("No such offer.")
    return found


def goal_terms_save(*, goal: Goal | None, offer: Offer, form: Any, actor: Any) -> Goal:
    """The goal and its terms in one transaction: terms refused means the goal is not kept.
    `form` gives `goal_fields()` and `terms_fields()` (the manager's both sides, or the
    advertiser's revenue side only)."""
    with transaction.atomic():
        if goal is None:
            fields = form.goal_fields()
            if not fields.get("is_default", True):
                del fields["is_default"]  # the service makes an offer's first goal its default
            goal = goal_create(offer=offer, fields=fields)
        else:
            goal = goal_update(goal=goal, fields=form.goal_fields())
        terms = getattr(goal, "terms", None)
        if terms is None:
            terms_create(goal=goal, fields=form.terms_fields(), actor=actor)
        else:
            terms_update(terms=terms, fields=form.terms_fields(), actor=actor)
    return goal


class OfferPage:
    """The page's forms, one bound to the posted part (if any), the others showing the rows."""

    offer_form_class: ClassVar[Any] = OfferForm
    goal_form_class: ClassVar[Any] = GoalTermsForm
    cap_form_class: ClassVar[type[CapForm]] = CapForm
    new_goal_initial: ClassVar[dict[str, Any]] = {
        "approval": "auto",
        "revenue_kind": "cpa_flat",
        "payout_kind": "cpa_flat",
    }
    with_overrides: ClassVar[bool] = True
    template_name: ClassVar[str] = "portal/manager/offer_edit.html"
    url_name: ClassVar[str] = "portal:manager-offer"
    goal_saved: ClassVar[str] = "Goal “{name}” and its terms saved."
    goal_added: ClassVar[str] = "Goal added."

    def __init__(self, request: HttpRequest, offer: Offer) -> None:
        self.request, self.offer = request, offer
        self.part = request.POST.get("part", "") if request.method == "POST" else ""
        data = request.POST if self.part else None
        self.offer_form = self.offer_form_class(
            data if self.part == "offer" else None, initial=self.offer_form_class.initial_of(offer)
        )
        user = request.user
        targeting = offer_targetings_visible_to(user=user).filter(offer=offer).first()
        self.targeting_form = TargetingForm(
            data if self.part == "targeting" else None,
            prefix="targeting",
            initial=TargetingForm.initial_of(targeting),
        )
        self.goals = list(offer.goals.select_related("terms").order_by("id"))
        self.goal_forms = [
            (
                goal,
                self.goal_form_class(
                    data if self.part == f"goal-{goal.pk}" else None,
                    prefix=f"goal-{goal.pk}",
                    initial=self.goal_form_class.initial_of(goal),
                ),
            )
            for goal in self.goals
        ]
        self.new_goal_form = self.goal_form_class(
            data if self.part == "goal-new" else None,
            prefix="goal-new",
            initial=self.new_goal_initial,
        )
        self.caps = list(
            caps_visible_to(user=user)
            .filter(offer=offer)
            .select_related("publisher")
            .order_by("id")
        )
        self.cap_forms = [
            (
                cap,
                self.cap_form_class(
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
        self.new_cap_form = self.cap_form_class(
            data if self.part == "cap-new" else None, prefix="cap-new", offer=offer
        )
        if self.with_overrides:
            self.overrides = list(
                overrides_visible_to(user=user)
                .filter(offer=offer)
                .select_related("publisher", "goal")
                .order_by("publisher__name", "id")
            )
            self.new_override_form = OverrideForm(
                data if self.part == "override-new" else None, prefix="override-new", offer=offer
            )

    # Writing -------------------------------------------------------------------------------

    def handle(self) -> Done:
        """Write the posted part; (message, anchor) when it was written, else None."""
        actor, offer = self.request.user, self.offer
        if self.part == "offer":
            form = self.offer_form
            if not form.is_valid():
                return None
            advertiser = form.cleaned_data.get("advertiser")  # the manager's form names it
            if advertiser is not None and advertiser.pk != offer.advertiser_id:
                form.add_error("advertiser", "An offer's advertiser cannot change.")
                return None
            return self._try(
                form,
                lambda: offer_update(offer=offer, fields=form.service_fields(), actor=actor),
                "Offer saved.",
                "offer",
            )
        if self.part == "targeting" and self.targeting_form.is_valid():
            targeting = self.targeting_form
            return self._try(
                targeting,
                lambda: offer_targeting_set(offer=offer, fields=targeting.service_fields()),
                "Targeting and schedule saved.",
                "targeting",
            )
        for goal, form in self.goal_forms:
            if self.part == f"goal-{goal.pk}" and form.is_valid():
                return self.goal_post(goal, form)
        if self.part == "goal-new" and self.new_goal_form.is_valid():
            return self._try(
                self.new_goal_form,
                lambda: goal_terms_save(
                    goal=None, offer=offer, form=self.new_goal_form, actor=actor
                ),
                self.goal_added,
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
        if (
            self.with_overrides
            and self.part == "override-new"
            and self.new_override_form.is_valid()
        ):
            fields = {**self.new_override_form.cleaned_data, "offer": offer}
            return self._try(
                self.new_override_form,
                lambda: override_create(fields=fields, actor=actor),
                "Override added.",
                "overrides",
            )
        return self.handle_other()

    def goal_post(self, goal: Goal, form: Any) -> Done:
        """A valid post of an existing goal's form: the goal and its terms written together."""
        return self._try(
            form,
            lambda: goal_terms_save(
                goal=goal, offer=self.offer, form=form, actor=self.request.user
            ),
            self.goal_saved.format(name=goal.name),
            f"goal-{goal.pk}",
        )

    def handle_other(self) -> Done:
        """A part the page does not know: nothing written."""
        return None

    def _try(self, form: forms.Form, write: Callable[[], Any], message: str, anchor: str) -> Done:
        try:
            with transaction.atomic():
                write()
        except DomainError as exc:  # a policy refusal (403) names no field: above the form
            form_errors_add(form=form, error=exc)
            return None
        return message, anchor

    # Showing -------------------------------------------------------------------------------

    def goal_rows(self) -> list[tuple[Goal, forms.Form, forms.Form | None]]:
        """Each goal, its form and the form shown under it (none on this page)."""
        return [(goal, form, None) for goal, form in self.goal_forms]

    def context(self) -> dict[str, Any]:
        context = {
            "offer": self.offer,
            "offer_form": self.offer_form,
            "targeting_form": self.targeting_form,
            "goal_forms": self.goal_forms,
            "goal_rows": self.goal_rows(),
            "new_goal_form": self.new_goal_form,
            "cap_forms": self.cap_forms,
            "new_cap_form": self.new_cap_form,
            "part": self.part,
        }
        if self.with_overrides:
            context |= {
                "overrides": self.overrides,
                "new_override_form": self.new_override_form,
                "now": timezone.now(),
            }
        return context

    def url(self, anchor: str = "") -> str:
        return reverse(self.url_name, args=[self.offer.pk]) + (f"#{anchor}" if anchor else "")

    def refused(self) -> HttpResponse | None:
        """A posted part not written: say so (the page is shown again with the messages)."""
        messages.error(self.request, "Nothing was saved: see the messages beside the fields.")
        return None

    def respond(self) -> HttpResponse:
        if self.part:
            done = self.handle()
            if done is not None:
                messages.success(self.request, done[0])
                return redirect(self.url(done[1]))
            response = self.refused()
            if response is not None:
                return response
        return render(self.request, self.template_name, self.context())
