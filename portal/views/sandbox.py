"""The sandbox as pages: the caller's test links and their clicks, each test click's trace, and
"send a test conversion".

Every read goes through the API's own selectors (tracking/sandbox/selectors.py:
`sandbox_links_visible_to`, `sandbox_trace`), so a page shows exactly the side the API would:
publishers their click, conversions (payout side) and postbacks; advertisers their callbacks and
conversions (revenue side); managers everything; any other click is a 404. Every write goes
through the API's own services (`sandbox_link_create`, `sandbox_conversion_send`,
`sandbox_reset`), which ask the money policy."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import user_role
from core.errors import DomainError, NotFoundError
from offers.models import Offer
from portal.form_errors import form_errors_add
from portal.roles import ADVERTISER, MANAGER, PUBLISHER, role_required
from portal.sandbox_forms import SandboxLinkForm, SandboxSendForm
from tracking.sandbox.selectors import sandbox_links_visible_to, sandbox_trace
from tracking.sandbox.services import (
    sandbox_conversion_send,
    sandbox_link_click_ids,
    sandbox_link_create,
    sandbox_link_url,
    sandbox_reset,
)

SANDBOX_ROLES = (PUBLISHER, ADVERTISER, MANAGER)
LINKS_SHOWN = 100


def _links_page(request: HttpRequest, form: SandboxLinkForm, status: int = 200) -> HttpResponse:
    role = user_role(request.user)
    links = sandbox_links_visible_to(user=request.user).select_related("publisher")
    rows = [
        {
            "link": link,
            "url": sandbox_link_url(link),
            "click_ids": sandbox_link_click_ids(link=link),
        }
        for link in links.order_by("-id")[:LINKS_SHOWN]
    ]
    return render(
        request,
        "portal/sandbox/links.html",
        {
            "rows": rows,
            "form": form,
            "can_mint": role in (PUBLISHER, MANAGER),
            "can_reset": role in (PUBLISHER, MANAGER),
            "sees_publisher": role != ADVERTISER,
        },
        status=status,
    )


@role_required(*SANDBOX_ROLES)
def links(request: HttpRequest) -> HttpResponse:
    return _links_page(request, SandboxLinkForm(user=request.user))


@role_required(PUBLISHER, MANAGER)
@require_POST
def link_new(request: HttpRequest) -> HttpResponse:
    form = SandboxLinkForm(request.POST, user=request.user)
    if form.is_valid():
        publisher = form.cleaned_data.get("publisher")
        try:
            link = sandbox_link_create(
                user=request.user,
                offer_id=form.cleaned_data["offer"].pk,
                publisher_id=publisher.pk if publisher is not None else None,
            )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            messages.success(
                request, f"Test link {sandbox_link_url(link)} made: open it to make a test click."
            )
            return redirect("portal:sandbox")
    return _links_page(request, form, status=400)


@role_required(PUBLISHER, MANAGER)
@require_POST
def link_reset(request: HttpRequest, link_id: int) -> HttpResponse:
    if not sandbox_links_visible_to(user=request.user).filter(id=link_id).exists():
        raise Http404("No such test link.")
    try:
        counts = sandbox_reset(user=request.user, link_id=link_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        said = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())
        messages.success(request, f"Test link reset: deleted {said}.")
    return redirect("portal:sandbox")


def _trace_page(
    request: HttpRequest, click_id: str, form: SandboxSendForm, status: int = 200
) -> HttpResponse:
    try:
        trace = sandbox_trace(user=request.user, click_id=click_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from None
    offer = Offer.objects.filter(id=trace["link"]["offer_id"]).only("name").first()
    for conversion in trace["conversions"]:
        conversion["check_rows"] = [_check_row(step) for step in conversion.get("checks") or ()]
    return render(
        request,
        "portal/sandbox/trace.html",
        {"t": trace, "offer": offer, "form": form},
        status=status,
    )


def _check_row(step: object) -> dict[str, object]:
    """One attribution check as a table row: its name, its outcome, and every value it
    recorded (already cut to the reader's side by the selector)."""
    if not isinstance(step, dict):
        return {"check": str(step), "ok": None, "values": ""}
    values = "; ".join(
        f"{name.replace('_', ' ')}: {value}"
        for name, value in step.items()
        if name not in ("check", "ok") and value not in (None, "", [], {})
    )
    return {"check": step.get("check", ""), "ok": step.get("ok"), "values": values}


@role_required(*SANDBOX_ROLES)
def trace(request: HttpRequest, click_id: str) -> HttpResponse:
    return _trace_page(request, click_id, SandboxSendForm())


@role_required(*SANDBOX_ROLES)
@require_POST
def trace_send(request: HttpRequest, click_id: str) -> HttpResponse:
    """Send a test conversion for this click (the service behind POST sandbox/conversions/),
    then back to the trace (POST-redirect-GET: a reload sends nothing again)."""
    # Only a click the caller may trace: a foreign one is a 404 before anything is sent.
    try:
        sandbox_trace(user=request.user, click_id=click_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from None
    form = SandboxSendForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            sent = sandbox_conversion_send(
                user=request.user,
                click_id=click_id,
                dialect=data["dialect"],
                goal=data["goal"].strip(),
                amount=data["amount"],
                txn_id=data["txn_id"].strip(),
                status=data["status"] if data["dialect"] != "pixel" else "",
            )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            how = "signed with the advertiser's key" if sent.signed else "unsigned"
            if sent.dialect != "pixel" and not sent.signed:
                how = "marked as sent by the network"
            messages.success(
                request,
                f"Test conversion sent ({sent.dialect}, {how}): the endpoint answered "
                f"{sent.status} {sent.answer}. Attribution runs in the background: reload in a "
                "few seconds to see the conversion and its postbacks.",
            )
            return redirect("portal:sandbox-trace", click_id=sent.click_id)
    return _trace_page(request, click_id, form, status=400)
