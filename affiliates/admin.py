from django.contrib import admin

from accounts.admin_access import ManagerAdmin, service_checked_form
from affiliates import services
from affiliates.models import ApiKey, OfferAccess, PayoutDetailsChange, PostbackTemplate, Publisher


@admin.register(Publisher)
class PublisherAdmin(ManagerAdmin):
    """Managers edit name and status here. Payout settings are finance's (the API), and where
    the money goes changes only through a confirmed payout details change: read-only here."""

    form = service_checked_form(services.publisher_check)
    list_display = ["id", "name", "status", "payout_currency", "minimum_payout", "payout_method"]
    list_filter = ["status", "payout_currency", "payout_method"]
    search_fields = ["name"]
    readonly_fields = [
        "payout_currency",
        "minimum_payout",
        "payout_method",
        "payout_details",
        "payout_details_changed_at",
        "hold_days",
    ]


@admin.register(PayoutDetailsChange)
class PayoutDetailsChangeAdmin(ManagerAdmin):
    """Seen here; asked for and confirmed through the API and the finance pages."""

    list_display = ["id", "publisher", "new_payout_method", "state", "requested_by", "decided_by"]
    list_filter = ["state"]
    search_fields = ["publisher__name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OfferAccess)
class OfferAccessAdmin(ManagerAdmin):
    list_display = ["id", "publisher", "offer", "status", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["publisher__name", "offer__name"]
    autocomplete_fields = ["publisher", "offer"]
    readonly_fields = ["decided_by", "decided_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(ManagerAdmin):
    """Keys are minted through the API (the raw key is shown once); here they are only seen
    and revoked."""

    list_display = ["id", "prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["user__role"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = ["user", "prefix", "secret_hash", "created_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for api_key in queryset:
            services.user_api_key_revoke(api_key=api_key)


@admin.register(PostbackTemplate)
class PostbackTemplateAdmin(ManagerAdmin):
    form = service_checked_form(services.template_check)
    list_display = ["id", "publisher", "scope", "offer", "goal", "method", "is_active"]
    list_filter = ["scope", "method", "is_active"]
    search_fields = ["publisher__name", "url"]
    autocomplete_fields = ["publisher", "offer", "goal"]
