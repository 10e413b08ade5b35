"""Admin for the callback inbox, conversions and publisher postbacks (mostly read-only: changes
go through the API's actions so the ledger and history follow)."""

from django.contrib import admin

from tracking.models import (
    CallbackInbox,
    Conversion,
    ConversionHistory,
    PostbackAttempt,
    PostbackDelivery,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CallbackInbox)
class CallbackInboxAdmin(ReadOnlyAdmin):
    list_display = ["id", "received_at", "dialect", "click_id", "advertiser", "state", "result"]
    list_filter = ["state", "dialect", "result"]
    search_fields = ["click_id"]
    exclude = ["headers"]  # may hold a deferred token digest


class HistoryInline(admin.TabularInline):
    model = ConversionHistory
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversion)
class ConversionAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "offer", "goal", "publisher", "status", "payout", "revenue"]
    list_filter = ["status", "reject_reason", "currency"]
    search_fields = ["click_id", "advertiser_txn_id"]
    inlines = [HistoryInline]


class AttemptInline(admin.TabularInline):
    model = PostbackAttempt
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PostbackDelivery)
class PostbackDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "publisher", "event", "status", "attempts"]
    list_filter = ["status", "event"]
    inlines = [AttemptInline]
