"""Managers' pages for people joining: publisher sign-ups to approve or reject, invitations.

Each decision goes through the service, which asks the money policy (`user.manage`)."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.invitations import invitation_create, invitations_visible_to
from affiliates.sign_up import publisher_sign_up_decide, publisher_sign_ups_pending
from core.errors import DomainError
from portal.account_forms import InvitationForm
from portal.form_errors import form_errors_add
from portal.roles import MANAGER, role_required

VERBS = {"approve": True, "reject": False}


@role_required(MANAGER)
def sign_ups(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/manager/sign_ups.html", {"publishers": publisher_sign_ups_pending()}
    )


@role_required(MANAGER)
@require_POST
def sign_up_decide(request: HttpRequest, publisher_id: int, verb: str) -> HttpResponse:
    if verb not in VERBS:
        raise Http404("No such decision.")
    try:
        publisher = publisher_sign_up_decide(
            publisher_id=publisher_id, approve=VERBS[verb], by=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = "approved: its users can sign in" if VERBS[verb] else "rejected"
        messages.success(request, f"{publisher.name} {done}.")
    return redirect("portal:network-sign-ups")


@role_required(MANAGER)
def invitations(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = invitation_create(
                by=request.user,
                email=data["email"],
                role=data["role"],
                advertiser_id=data["advertiser"].id if data["advertiser"] else None,
                publisher_id=data["publisher"].id if data["publisher"] else None,
            )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            messages.success(request, f"Invitation sent to {sent.invitation.email}.")
            return redirect("portal:network-invitations")
    return render(
        request,
        "portal/manager/invitations.html",
        {
            "form": form,
            "invitations": invitations_visible_to(user=request.user)[:100],
            "now": timezone.now(),
            "settings_hours": settings.INVITATION_VALID_HOURS,
        },
    )
