"""Every signed-in user's notifications (accounts/notifications.py) and which kinds it wants
by email. Both forms post and redirect, so a reload changes nothing."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Notification
from accounts.notifications import (
    KINDS,
    notification_preferences_of,
    notification_preferences_set,
    notifications_mark_read,
)
from portal.roles import ANYONE, role_required


@role_required(*ANYONE)
def notifications(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.filter(user_id=request.user.pk).order_by("-id")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "portal/notifications/list.html", {"page": page, "kinds": KINDS})


@role_required(*ANYONE)
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_read(user=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("portal:notifications")


@role_required(*ANYONE)
def notification_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        chosen = [kind for kind in request.POST.getlist("email") if kind in KINDS]
        notification_preferences_set(user=request.user, email_kinds=chosen)
        messages.success(request, "Your email choices are saved.")
        return redirect("portal:notification-settings")
    wanted = notification_preferences_of(user=request.user)
    rows = [(kind, label, wanted[kind]) for kind, label in KINDS.items()]
    return render(request, "portal/notifications/settings.html", {"rows": rows})
