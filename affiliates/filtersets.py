"""One explicit FilterSet per model (netbox style), used by the API lists."""

import django_filters as filters

from affiliates.models import ApiKey, OfferAccess, PostbackTemplate, Publisher


class PublisherFilterSet(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Publisher
        fields = ["id", "status", "name", "payout_currency", "payout_method"]


class OfferAccessFilterSet(filters.FilterSet):
    publisher_id = filters.NumberFilter(field_name="publisher")
    offer_id = filters.NumberFilter(field_name="offer")

    class Meta:
        model = OfferAccess
        fields = ["id", "status", "publisher_id", "offer_id"]


class ApiKeyFilterSet(filters.FilterSet):
    user_id = filters.NumberFilter(field_name="user")
    active = filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull")

    class Meta:
        model = ApiKey
        fields = ["id", "user_id", "prefix", "active"]


class PostbackTemplateFilterSet(filters.FilterSet):
    publisher_id = filters.NumberFilter(field_name="publisher")
    offer_id = filters.NumberFilter(field_name="offer")
    goal_id = filters.NumberFilter(field_name="goal")

    class Meta:
        model = PostbackTemplate
        fields = ["id", "publisher_id", "scope", "offer_id", "goal_id", "is_active", "method"]
