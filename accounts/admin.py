from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse

from accounts.admin_access import ManagerAdmin
from accounts.models import Role, StaffChange, User
from accounts.services import (
    user_manages_staff,
    user_may_manage,
    user_password_reset,
    user_save,
)
from core.errors import DomainError

# Only superusers see or set these: with them a manager could make itself anything.
STAFF_ONLY_FIELDS = frozenset({"is_staff", "is_superuser", "groups", "user_permissions"})


@admin.register(User)
class AffnetUserAdmin(ManagerAdmin, UserAdmin):
    """Managers manage publisher and advertiser users; staff (managers, finance, superusers)
    are managed by superusers only (accounts.policy, user.manage). A finance user made or reset
    here waits for another finance user's confirmation (accounts.services.user_save)."""

    list_display = ["username", "email", "role", "advertiser", "publisher", "is_active"]
    list_filter = ["role", "is_active", "is_staff", "is_superuser"]
    search_fields = ["username", "email", "advertiser__name", "publisher__name"]
    autocomplete_fields = ["advertiser", "publisher"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Role", {"fields": ["role", "advertiser", "publisher"]}),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        ("Role", {"fields": ["role", "advertiser", "publisher"]}),
    ]

    def _may_manage(self, request, obj) -> bool:
        return user_may_manage(by=request.user, target=obj, role=obj.role)

    def has_view_permission(self, request, obj=None) -> bool:
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or obj.pk == request.user.pk or self._may_manage(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or self._may_manage(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or self._may_manage(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if user_manages_staff(by=request.user):
            return fieldsets
        return [
            (
                name,
                {**options, "fields": [f for f in options["fields"] if f not in STAFF_ONLY_FIELDS]},
            )
            for name, options in fieldsets
        ]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            # Only the roles this user may hand out; the empty choice first, preselected.
            kwargs["choices"] = [("", "---------")] + [
                (value, label)
                for value, label in Role.choices
                if user_may_manage(by=request.user, target=None, role=value)
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        try:
            staff_change = user_save(user=obj, by=request.user)
        except DomainError as error:
            raise PermissionDenied(error.message) from error
        if staff_change is not None:
            messages.warning(request, _waiting(staff_change))

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if request.method != "POST" or user is None or user.role != Role.FINANCE:
            return super().user_change_password(request, id, form_url)
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        form = self.change_password_form(user, request.POST)
        if not form.is_valid():
            return super().user_change_password(request, id, form_url)
        form.save(commit=False)  # the new hash, in memory only: it waits for confirmation
        staff_change = user_password_reset(user=user, password_hash=user.password, by=request.user)
        messages.warning(request, _waiting(staff_change))
        return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))


def _waiting(staff_change: StaffChange) -> str:
    what = "is inactive" if staff_change.kind == StaffChange.Kind.CREATE else "keeps its password"
    return (
        f"{staff_change.target.username} {what} until another finance user confirms "
        f"(POST /api/v1/staff-changes/{staff_change.pk}/confirm/)."
    )


@admin.register(StaffChange)
class StaffChangeAdmin(ManagerAdmin):
    """Seen here; confirmed only through the API by a finance user (who has no admin)."""

    list_display = ["id", "target", "kind", "state", "requested_by", "requested_at", "confirmed_by"]
    list_filter = ["kind", "state"]
    readonly_fields = [
        "target",
        "kind",
        "state",
        "requested_by",
        "requested_at",
        "confirmed_by",
        "decided_at",
    ]
    exclude = ["password_hash"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
