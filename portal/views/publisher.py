"""The publisher portal: dashboard, offers and links, postbacks, payouts. Publisher users only;
every row comes from a selector scoped to `request.user.publisher_id`."""

from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from affiliates.payout_details import (
    payout_details_change_request,
    payout_details_changes_visible_to,
)
from affiliates.selectors import (
    offer_access_of,
    offer_accesses_visible_to,
    postback_templates_visible_to,
)
from affiliates.services import postback_template_create, postback_template_update
from core.errors import DomainError
from offers.selectors import (
    goals_visible_to,
    offer_is_runnable_by,
    offer_visible_to,
    offers_runnable_by,
    offers_visible_to,
)
from offers.services import offer_access_request
from offers.terms import TermsNotSetError, pricing_model, terms_in_force
from payouts.selectors import (
    publisher_balances,
    publisher_payments,
    publisher_payout_lines,
    tax_form_hold_of,
)
from portal.form_errors import form_errors_add
from portal.forms import (
    SUB_FIELDS,
    AccessRequestForm,
    LinkBuilderForm,
    PayoutDetailsForm,
    PostbackTemplateForm,
)
from portal.roles import PUBLISHER, role_required
from portal.selectors import daily_chart, dashboard_periods, postback_deliveries_visible_to
from portal.services import postback_template_test_fire
from tracking.domains import tracking_domains_of
from tracking.links import link_create, link_url
from tracking.postbacks.services import delivery_resend
from tracking.tasks.postbacks import postback_deliver


@role_required(PUBLISHER)
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "portal/publisher/dashboard.html",
        {
            "periods": dashboard_periods(user=user),
            "chart": daily_chart(user=user, metrics=("clicks", "conversions", "payout")),
            "tax_form_hold": tax_form_hold_of(publisher_id=user.publisher_id),
        },
    )


@role_required(PUBLISHER)
def offers(request: HttpRequest) -> HttpResponse:
    user = request.user
    runnable = set(offers_runnable_by(publisher=user.publisher).values_list("id", flat=True))
    accesses = {access.offer_id: access for access in offer_accesses_visible_to(user=user)}
    rows = [
        {"offer": offer, "runnable": offer.id in runnable, "access": accesses.get(offer.id)}
        for offer in offers_visible_to(user=user).filter(status="active").order_by("name")
    ]
    return render(request, "portal/publisher/offers.html", {"rows": rows})


def _visible_offer(request: HttpRequest, offer_id: int):
    offer = offer_visible_to(user=request.user, offer_id=offer_id)
    if offer is None:
        raise Http404("No such offer.")
    return offer


def _goal_payouts(*, offer, publisher_id: int) -> list[dict]:
    """Each goal's payout for this publisher now (its override, else the goal's terms)."""
    rows = []
    for goal in offer.goals.order_by("id"):
        try:
            terms = terms_in_force(goal=goal, publisher_id=publisher_id, at=timezone.now())
        except TermsNotSetError:
            continue
        pricing = pricing_model(terms_kind=terms.payout_kind, goal_kind=goal.kind)
        rows.append({"goal": goal, "terms": terms, "pricing": pricing})
    return rows


@role_required(PUBLISHER)
def offer_detail(request: HttpRequest, offer_id: int) -> HttpResponse:
    user = request.user
    offer = _visible_offer(request, offer_id)
    runnable = offer_is_runnable_by(publisher_id=user.publisher_id, offer_id=offer.id)
    access = offer_access_of(publisher_id=user.publisher_id, offer_id=offer.id)
    built_url = None
    form = LinkBuilderForm(
        request.POST or None, domains=list(tracking_domains_of(publisher_id=user.publisher_id))
    )
    if request.method == "POST" and runnable and form.is_valid():
        try:
            link, _ = link_create(
                user=user, offer_id=offer.id, domain_id=form.cleaned_data.get("domain")
            )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            subs = {name: form.cleaned_data[name] for name in SUB_FIELDS if form.cleaned_data[name]}
            built_url = link_url(link) + (f"?{urlencode(subs)}" if subs else "")
    return render(
        request,
        "portal/publisher/offer_detail.html",
        {
            "offer": offer,
            "runnable": runnable,
            "access": access,
            "goals": _goal_payouts(offer=offer, publisher_id=user.publisher_id),
            "form": form,
            "built_url": built_url,
            "request_form": AccessRequestForm(),
        },
    )


@role_required(PUBLISHER)
@require_POST
def offer_request(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _visible_offer(request, offer_id)
    form = AccessRequestForm(request.POST)
    if form.is_valid():
        try:
            offer_access_request(
                publisher=request.user.publisher,
                offer=offer,
                message=form.cleaned_data["message"],
                requested_by=request.user,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Access to {offer.name} requested.")
    else:
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
    return redirect("portal:publisher-offer", offer_id=offer.id)


def _template_form(request: HttpRequest, data=None, initial=None) -> PostbackTemplateForm:
    return PostbackTemplateForm(
        data,
        initial=initial,
        offers=offers_runnable_by(publisher=request.user.publisher).order_by("name"),
        goals=goals_visible_to(user=request.user).filter(
            offer__in=offers_runnable_by(publisher=request.user.publisher).values("id")
        ),
    )


@role_required(PUBLISHER)
def postbacks(request: HttpRequest) -> HttpResponse:
    templates = postback_templates_visible_to(user=request.user).select_related("offer", "goal")
    deliveries = postback_deliveries_visible_to(user=request.user)[:50]
    return render(
        request,
        "portal/publisher/postbacks.html",
        {"templates": templates, "deliveries": deliveries},
    )


@role_required(PUBLISHER)
def postback_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    template = None
    initial = {"scope": "global", "method": "GET", "events": ["approved"], "is_active": True}
    if template_id is not None:
        template = postback_templates_visible_to(user=request.user).filter(id=template_id).first()
        if template is None:
            raise Http404("No such postback template.")
        initial = {
            "scope": template.scope,
            "offer": template.offer_id,
            "goal": template.goal_id,
            "url": template.url,
            "method": template.method,
            "events": template.events,
            "is_active": template.is_active,
        }
    form = _template_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                if template is None:
                    template = postback_template_create(
                        publisher=request.user.publisher, fields=form.service_fields()
                    )
                else:
                    template = postback_template_update(
                        template=template, fields=form.service_fields()
                    )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            messages.success(request, f"Postback template {template.id} saved.")
            return redirect("portal:publisher-postbacks")
    return render(
        request,
        "portal/publisher/postback_form.html",
        {"form": form, "template": template},
    )


@role_required(PUBLISHER)
@require_POST
def postback_test(request: HttpRequest, template_id: int) -> HttpResponse:
    template = (
        postback_templates_visible_to(user=request.user)
        .select_related("goal", "publisher")
        .filter(id=template_id)
        .first()
    )
    if template is None:
        raise Http404("No such postback template.")
    fired = postback_template_test_fire(template=template)
    status = f"HTTP {fired.status_code}" if fired.status_code else fired.outcome
    text = f"Test postback to {fired.url}: {status} ({fired.outcome}, {fired.duration_ms} ms)"
    if fired.excerpt:
        text += f" — {fired.excerpt[:200]}"
    (messages.success if fired.ok else messages.error)(request, text)
    return redirect("portal:publisher-postbacks")


@role_required(PUBLISHER)
@require_POST
def delivery_resend_view(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = postback_deliveries_visible_to(user=request.user).filter(id=delivery_id).first()
    if delivery is None:
        raise Http404("No such postback delivery.")
    delivery = delivery_resend(delivery=delivery)
    transaction.on_commit(lambda: postback_deliver.delay(delivery.pk))
    messages.success(request, f"Postback {delivery.pk} will be sent again.")
    return redirect("portal:publisher-postbacks")


@role_required(PUBLISHER)
def payouts(request: HttpRequest) -> HttpResponse:
    publisher_id = request.user.publisher_id
    return render(
        request,
        "portal/publisher/payouts.html",
        {
            "publisher": request.user.publisher,
            "balances": publisher_balances(publisher_id=publisher_id),
            "lines": publisher_payout_lines(publisher_id=publisher_id)[:50],
            "payments": publisher_payments(publisher_id=publisher_id)[:50],
            "pending_change": payout_details_changes_visible_to(user=request.user)
            .filter(state="pending")
            .first(),
            "tax_form_hold": tax_form_hold_of(publisher_id=publisher_id),
        },
    )


@role_required(PUBLISHER)
def payout_details(request: HttpRequest) -> HttpResponse:
    """Ask to be paid elsewhere. Finance confirms before any batch pays there, and batches then
    wait PAYOUT_DETAILS_COOLDOWN_HOURS, so a change the publisher did not make can be caught."""
    publisher = request.user.publisher
    current = publisher.payout_details or {}
    form = PayoutDetailsForm(
        request.POST or None,
        initial={"payout_method": publisher.payout_method, **current},
    )
    if request.method == "POST" and form.is_valid():
        try:
            payout_details_change_request(
                publisher=publisher,
                payout_method=form.cleaned_data["payout_method"],
                payout_details=form.details(),
                requested_by=request.user,
            )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            messages.success(
                request, "Payout details change asked for: it takes effect once finance confirms."
            )
            return redirect("portal:publisher-payouts")
    return render(
        request,
        "portal/publisher/payout_details.html",
        {
            "form": form,
            "publisher": publisher,
            "pending_change": payout_details_changes_visible_to(user=request.user)
            .filter(state="pending")
            .first(),
        },
    )
