"""Admin access: network managers (and superusers) run the admin; nobody else.

Django's admin needs is_staff to log in (user_create gives it to managers) and per-model
permissions after that; managers are not given Django permissions row by row, the role decides.
Other apps' ModelAdmins may inherit ManagerAdmin for the same rule. The site itself
(TwoFactorAdminSite, installed by accounts.admin_config) asks for the two-factor code first.
"""

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.policy import Action, policy_allows
from accounts.two_factor import TwoFactorStep, two_factor_step
from core.errors import DomainError


def _is_manager(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and user.is_manager


class ManagerAdmin(admin.ModelAdmin):
    # Offer and postback URLs are typed with their scheme; https is the sane default (and
    # Django 6's), and saying so keeps Django 5.2's transitional warning quiet.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_module_permission(self, request) -> bool:
        return _is_manager(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _is_manager(request)

    def has_add_permission(self, request) -> bool:
        return _is_manager(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return _is_manager(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _is_manager(request)


def policy_readonly_fields(
    request, *, action: Action, fields: Iterable[str], facts: Mapping[str, Any] | None = None
) -> list[str]:
    """`fields`, when the policy refuses `action` to the admin's user: a ModelAdmin adds them to
    get_readonly_fields, so the form neither shows them as inputs nor accepts them."""
    if policy_allows(action=action, user=request.user, facts=facts or {}):
        return []
    return list(fields)


def service_checked_form(check):
    """A ModelForm base whose validation also runs a service's row check (the API's rules), so
    the admin cannot save what the API would refuse. DomainError fields become form errors."""

    class ServiceCheckedForm(ModelForm):
        def _post_clean(self) -> None:
            super()._post_clean()
            if self.errors:
                return
            try:
                check(self.instance)
            except DomainError as error:
                for field, messages in error.fields.items():
                    target = field if field in self.fields else None
                    for message in messages:
                        self.add_error(target, DjangoValidationError(message))

    return ServiceCheckedForm


class TwoFactorAdminSite(admin.AdminSite):
    """The admin with the portal's two-factor rule (accounts/two_factor.py): a session that
    still owes a code (superusers and finance users always, anyone who enrolled) has no admin
    permission, and the admin's sign-in page sends it to the portal's two-factor page. Without
    this a superuser's password alone opened every model of the network."""

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and two_factor_step(request) is None

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        step = two_factor_step(request)
        if request.user.is_active and request.user.is_staff and step is not None:
            name = (
                "portal:two-factor-verify" if step == TwoFactorStep.VERIFY else "portal:two-factor"
            )
            next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
            return redirect(f"{reverse(name)}?{urlencode({'next': next_url})}")
        return super().login(request, extra_context)
