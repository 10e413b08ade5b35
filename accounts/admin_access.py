"""Admin access: network managers (and superusers) run the admin; nobody else.

Django's admin needs is_staff to log in (user_create gives it to managers) and per-model
permissions after that; managers are not given Django permissions row by row, the role decides.
Other apps' ModelAdmins may inherit ManagerAdmin for the same rule.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.forms import ModelForm

from accounts.policy import Action, policy_allows
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
