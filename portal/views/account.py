"""Getting in: sign-in (with the demo's "sign in as" on loopback), sign-up, invitations,
two-factor, password reset. Every POST that succeeds redirects (POST-redirect-GET)."""

import ipaddress
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo_users import ADMIN_USERNAME, DEMO_USERNAMES
from accounts.invitations import invitation_accept, invitation_open
from accounts.models import User
from accounts.two_factor import (
    TwoFactorStep,
    totp_device_confirm,
    totp_device_pending,
    totp_key_base32,
    two_factor_enrolled,
    two_factor_remove,
    two_factor_required,
    two_factor_step,
    two_factor_verified,
    two_factor_verify,
)
from affiliates.sign_up import publisher_sign_up
from core.errors import DomainError
from portal.account_forms import InvitationAcceptForm, SignInForm, SignUpForm, TokenForm
from portal.form_errors import form_errors_add

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# Headers a proxy adds: a request carrying one did not come straight from this machine.
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def demo_sign_in_allowed(request: HttpRequest) -> bool:
    """The demo's "sign in as": the embedded mode (settings.DEMO_SIGN_IN, never on with
    DATABASE_URL) and a visitor on this very machine, not relayed by any proxy."""
    meta = request.META
    return (
        settings.DEMO_SIGN_IN
        and _loopback(meta.get("REMOTE_ADDR", ""))
        and _loopback(meta.get("PROXY_PEER_ADDR", meta.get("REMOTE_ADDR", "")))
        and not any(meta.get(header) for header in FORWARDING_HEADERS)
    )


def _demo_users() -> list[User]:
    names = [ADMIN_USERNAME, *DEMO_USERNAMES]
    users = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
    return [users[name] for name in names if name in users]


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("portal:landing")


def _two_factor_redirect(request: HttpRequest, step: TwoFactorStep, next_url: str) -> HttpResponse:
    name = "portal:two-factor-verify" if step == TwoFactorStep.VERIFY else "portal:two-factor"
    return redirect(f"{reverse(name)}?{urlencode({'next': next_url})}")


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "portal/login.html"
    redirect_authenticated_user = True
    next_page = "portal:landing"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if demo_sign_in_allowed(self.request):
            context["demo_users"] = _demo_users()
        return context

    def form_valid(self, form):
        auth_login(self.request, form.get_user())
        step = two_factor_step(self.request)
        if step is not None:
            return _two_factor_redirect(self.request, step, self.get_success_url())
        return redirect(self.get_success_url())


@require_POST
def sign_in_as(request: HttpRequest) -> HttpResponse:
    """Sign in as a demo user without its password: the embedded demo on loopback only."""
    if not demo_sign_in_allowed(request):
        raise Http404("No such page.")
    username = request.POST.get("username", "")
    user = next((u for u in _demo_users() if u.username == username), None)
    if user is None:
        raise Http404("No such demo user.")
    auth_login(request, user, backend=MODEL_BACKEND)
    # The demo's finance users and admin have their device seeded: this stands for its code.
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        django_otp.login(request, device)
    return redirect("portal:landing")


def sign_in_locked_out(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """django-axes' answer once a (username, address) pair is over its failures."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = SignInForm(request, initial={"username": (credentials or {}).get("username", "")})
    return render(
        request,
        "portal/login.html",
        {
            "form": form,
            "locked_out": f"Too many failed sign-ins for this username from your address: "
            f"try again in {minutes} minutes, or reset your password.",
        },
        status=429,
    )


def sign_up(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            publisher_sign_up(
                company=data["company"],
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                address=request.META.get("REMOTE_ADDR"),
            )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            return redirect("portal:sign-up-sent")
    return render(request, "portal/account/sign_up.html", {"form": form})


def sign_up_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/account/sign_up_sent.html")


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invite = invitation_open(token=token)
    except DomainError as exc:
        return render(
            request,
            "portal/account/invitation_invalid.html",
            {"message": exc.message},
            status=exc.status_code,
        )
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            auth_login(request, user, backend=MODEL_BACKEND)
            messages.success(request, f"Welcome, {user.username}.")
            return redirect("portal:landing")
    return render(
        request, "portal/account/invitation_accept.html", {"form": form, "invitation": invite}
    )


def _signed_in_or_login(request: HttpRequest) -> HttpResponse | None:
    if request.user.is_authenticated:
        return None
    return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")


def two_factor(request: HttpRequest) -> HttpResponse:
    """The user's two-factor: enrol (key, QR code, a code to confirm), or its state."""
    if (response := _signed_in_or_login(request)) is not None:
        return response
    user = request.user
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    enrolled = two_factor_enrolled(user)
    if enrolled and not two_factor_verified(user):
        return _two_factor_redirect(request, TwoFactorStep.VERIFY, next_url)
    form = TokenForm(request.POST or None)
    device = None
    if not enrolled:
        device = totp_device_pending(user=user)
        if request.method == "POST" and form.is_valid():
            if totp_device_confirm(request=request, token=form.cleaned_data["token"]):
                messages.success(request, "Two-factor sign-in is on for your account.")
                return redirect(next_url)
            form.add_error("token", "That code is not right: check the time on your phone.")
    context = {
        "form": form,
        "enrolled": enrolled,
        "required": two_factor_required(user),
        "next": next_url,
    }
    if device is not None:
        context["key"] = totp_key_base32(device)
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=4)
    return render(request, "portal/account/two_factor.html", context)


def two_factor_verify_view(request: HttpRequest) -> HttpResponse:
    """The second step of signing in for a user with a device."""
    if (response := _signed_in_or_login(request)) is not None:
        return response
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if two_factor_verified(request.user) or not two_factor_enrolled(request.user):
        return redirect(next_url)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor_verify(request=request, token=form.cleaned_data["token"]):
            return redirect(next_url)
        form.add_error("token", "That code is not right (or was already used).")
    return render(
        request, "portal/account/two_factor_verify.html", {"form": form, "next": next_url}
    )


@require_POST
def two_factor_remove_view(request: HttpRequest) -> HttpResponse:
    if (response := _signed_in_or_login(request)) is not None:
        return response
    if two_factor_step(request) is not None:
        return redirect("portal:two-factor")
    if two_factor_remove(user=request.user):
        messages.success(request, "Two-factor sign-in is off.")
    else:
        messages.error(request, "Your role must keep two-factor sign-in on.")
    return redirect("portal:two-factor")
