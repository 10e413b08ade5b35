from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.admin_access import ManagerAdmin
from accounts.models import Role, User


@admin.register(User)
class AffnetUserAdmin(ManagerAdmin, UserAdmin):
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

    def save_model(self, request, obj, form, change):
        # As accounts.services.user_create: managers get the admin, other roles do not.
        obj.is_staff = obj.role == Role.MANAGER or obj.is_superuser
        super().save_model(request, obj, form, change)
