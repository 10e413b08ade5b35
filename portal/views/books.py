"""Finance pages for the books: accounting periods (validate an ended month, close it as a second
finance user) and tax forms (review what publishers uploaded). Managers may read them; only
finance acts (the services ask accounts.policy, and a refusal is shown as a message)."""

from datetime import date, timedelta

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.policy import Action, policy_roles
from core.errors import DomainError
from core.network_time import month_bounds, month_of
from payouts.models import AccountingPeriod
from payouts.selectors import accounting_periods_for, tax_forms_visible_to
from payouts.services.payees import tax_form_review
from payouts.services.periods import (
    period_close,
    period_month_parse,
    period_reopen,
    period_validate,
)
from portal.roles import STAFF, role_required

MONTHS_SHOWN = 12


def _recent_months(today_month: date) -> list[date]:
    months = []
    month = today_month
    for _ in range(MONTHS_SHOWN):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    return months


@role_required(*STAFF)
def periods(request: HttpRequest) -> HttpResponse:
    """The last months, newest first: open (no row yet), validated or closed, and by whom."""
    now = timezone.now()
    rows = {
        period.month: period
        for period in accounting_periods_for(user=request.user).filter(
            month__gte=_recent_months(month_of(at=now))[-1]
        )
    }
    months = []
    for month in _recent_months(month_of(at=now)):
        period = rows.get(month)
        starts_at, ends_at = month_bounds(month)
        months.append(
            {
                "month": month,
                "label": f"{month:%Y-%m}",
                "period": period,
                "status": period.status if period else AccountingPeriod.Status.OPEN,
                "ended": ends_at <= now,
                "starts_at": starts_at,
                "ends_at": ends_at,
            }
        )
    return render(
        request,
        "portal/finance/periods.html",
        {"months": months, "may_act": "finance" in policy_roles(Action.PERIOD_CLOSE)},
    )


@role_required(*STAFF)
@require_POST
def period_decide(request: HttpRequest, month: str, verb: str) -> HttpResponse:
    if verb not in ("validate", "close", "reopen"):
        raise Http404("No such action.")
    try:
        first = period_month_parse(value=month)
        if verb == "validate":
            period_validate(month=first, validated_by=request.user)
        elif verb == "close":
            period_close(month=first, closed_by=request.user)
        else:
            period_reopen(
                month=first, reopened_by=request.user, reason=request.POST.get("reason", "")
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = {"validate": "validated", "close": "closed", "reopen": "reopened"}[verb]
        messages.success(request, f"{month} {done}.")
    return redirect("portal:finance-periods")


@role_required(*STAFF)
def tax_forms(request: HttpRequest) -> HttpResponse:
    """Forms waiting for review first, then the latest decided ones."""
    forms = tax_forms_visible_to(user=request.user)
    return render(
        request,
        "portal/finance/tax_forms.html",
        {
            "pending": forms.filter(status="pending").order_by("id"),
            "decided": forms.exclude(status="pending").order_by("-reviewed_at")[:50],
        },
    )


@role_required(*STAFF)
@require_POST
def tax_form_decide(request: HttpRequest, form_id: int, verb: str) -> HttpResponse:
    if verb not in ("accept", "reject"):
        raise Http404("No such action.")
    if not tax_forms_visible_to(user=request.user).filter(id=form_id).exists():
        raise Http404("No such tax form.")
    try:
        expiry = {}
        given = request.POST.get("valid_until", "").strip()
        if verb == "accept" and given:  # left empty: the form's kind decides (payees.py)
            try:
                expiry["valid_until"] = date.fromisoformat(given)
            except ValueError:
                raise DomainError.for_field(
                    "valid_until", "invalid", "Valid until: a date as YYYY-MM-DD."
                ) from None
        tax_form_review(
            form_id=form_id,
            accept=verb == "accept",
            note=request.POST.get("note", "")[:2000],
            reviewed_by=request.user,
            **expiry,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Tax form {form_id} {verb}ed.")
    return redirect("portal:finance-tax-forms")


def tax_form_file(*, user: User, form_id: int) -> FileResponse:
    """A stored tax form as uploaded, if `user` may see it (else a 404): finance's and managers'
    page here, the publisher's own in portal/views/publisher_tax_forms.py."""
    form = tax_forms_visible_to(user=user).filter(id=form_id).first()
    if form is None:
        raise Http404("No such tax form.")
    return FileResponse(
        form.document.open("rb"),
        as_attachment=True,
        filename=form.file_name,
        content_type=form.content_type,
    )


@role_required(*STAFF)
def tax_form_document(request: HttpRequest, form_id: int) -> FileResponse:
    return tax_form_file(user=request.user, form_id=form_id)
