from django.contrib import admin

from accounts.admin_access import ManagerAdmin, policy_readonly_fields, service_checked_form
from accounts.policy import Action, policy_allows
from offers import services
from offers.models import Advertiser, Cap, Goal, Offer, PublisherOverride, Terms


@admin.register(Advertiser)
class AdvertiserAdmin(ManagerAdmin):
    form = service_checked_form(services.advertiser_check)
    list_display = ["id", "name", "status", "postback_secret_prefix", "created_at"]
    list_filter = ["status"]
    search_fields = ["name"]
    # The secret is rotated through the API (shown once), never typed or shown here: not even
    # encrypted, nor the legacy hash (a signature v1 key).
    readonly_fields = ["postback_secret_prefix"]
    exclude = ["postback_secret_encrypted", "postback_secret_hash"]


class GoalInline(admin.TabularInline):
    model = Goal
    extra = 0


@admin.register(Offer)
class OfferAdmin(ManagerAdmin):
    form = service_checked_form(services.offer_check)
    list_display = ["id", "name", "advertiser", "status", "visibility", "currency"]
    list_filter = ["status", "visibility", "currency", "advertiser"]
    search_fields = ["name", "advertiser__name", "landing_url"]
    autocomplete_fields = ["advertiser"]
    inlines = [GoalInline]


@admin.register(Goal)
class GoalAdmin(ManagerAdmin):
    list_display = ["id", "offer", "name", "ref", "is_default", "approval", "allow_multiple"]
    list_filter = ["is_default", "approval", "allow_multiple"]
    search_fields = ["name", "ref", "offer__name"]
    autocomplete_fields = ["offer"]


@admin.register(Terms)
class TermsAdmin(ManagerAdmin):
    form = service_checked_form(lambda terms: services.terms_check(terms, is_new=not terms.pk))
    list_display = [
        "goal",
        "revenue_kind",
        "revenue_amount",
        "revenue_percent",
        "payout_kind",
        "payout_amount",
        "payout_percent",
    ]
    list_filter = ["revenue_kind", "payout_kind"]
    search_fields = ["goal__name", "goal__ref", "goal__offer__name"]
    autocomplete_fields = ["goal"]

    def get_readonly_fields(self, request, obj=None):
        # The payout side is the network's: the same policy row the API's services ask.
        payout = ["payout_kind", "payout_amount", "payout_percent"]
        return [
            *super().get_readonly_fields(request, obj),
            *policy_readonly_fields(request, action=Action.TERMS_PAYOUT_SET, fields=payout),
        ]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting terms deletes the goal's payout too.
        allowed = policy_allows(action=Action.TERMS_PAYOUT_SET, user=request.user)
        return super().has_delete_permission(request, obj) and allowed


def _override_admin_check(override: PublisherOverride) -> None:
    services.override_check(override)
    services.override_overlap_check(override)


@admin.register(PublisherOverride)
class PublisherOverrideAdmin(ManagerAdmin):
    form = service_checked_form(_override_admin_check)
    list_display = ["id", "publisher", "offer", "goal", "payout_kind", "valid_from", "valid_to"]
    list_filter = ["payout_kind"]
    search_fields = ["publisher__name", "offer__name"]
    autocomplete_fields = ["publisher", "offer", "goal"]

    def _payout_setter(self, request) -> bool:
        return policy_allows(action=Action.TERMS_PAYOUT_SET, user=request.user)

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and self._payout_setter(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._payout_setter(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._payout_setter(request)


@admin.register(Cap)
class CapAdmin(ManagerAdmin):
    form = service_checked_form(services.cap_check)
    list_display = ["id", "offer", "publisher", "period", "metric", "limit", "action"]
    list_filter = ["period", "metric", "action"]
    search_fields = ["offer__name", "publisher__name"]
    autocomplete_fields = ["offer", "publisher"]
