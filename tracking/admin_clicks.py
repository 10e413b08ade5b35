"""Admin for tracking links, clicks and impressions. Clicks and impressions are read-only: they
are facts recorded by the redirect, and their table is partitioned by day."""

from django.contrib import admin

from tracking.links import link_url
from tracking.models import Click, Impression, TrackingLink


@admin.register(TrackingLink)
class TrackingLinkAdmin(admin.ModelAdmin):
    list_display = ("code", "offer", "publisher", "url", "created_at")
    list_select_related = ("offer", "publisher")
    search_fields = ("code",)
    raw_id_fields = ("offer", "publisher")
    readonly_fields = ("code", "created_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # minted with an unguessable code by the API (tracking.links)

    @admin.display(description="URL")
    def url(self, link: TrackingLink) -> str:
        return link_url(link)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Click)
class ClickAdmin(ReadOnlyAdmin):
    list_display = (
        "click_id",
        "created_at",
        "offer_id",
        "publisher_id",
        "country",
        "device",
        "is_unique",
        "is_bot",
        "fallback_reason",
    )
    list_filter = ("is_unique", "is_bot", "fallback_reason", "device")
    search_fields = ("=click_id",)
    date_hierarchy = "created_at"
    show_full_result_count = False  # no COUNT over every partition


@admin.register(Impression)
class ImpressionAdmin(ReadOnlyAdmin):
    list_display = ("hour", "offer_id", "publisher_id", "count")
