"""One explicit FilterSet per model (netbox style), used by the API lists."""

import django_filters as filters

from offers.models import Advertiser, Cap, Goal, Offer, PublisherOverride, Terms


class AdvertiserFilterSet(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Advertiser
        fields = ["id", "status", "name"]


class OfferFilterSet(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")
    advertiser_id = filters.NumberFilter(field_name="advertiser")

    class Meta:
        model = Offer
        fields = ["id", "status", "visibility", "currency", "name", "advertiser_id"]


class GoalFilterSet(filters.FilterSet):
    offer_id = filters.NumberFilter(field_name="offer")

    class Meta:
        model = Goal
        fields = ["id", "offer_id", "ref", "is_default", "approval"]


class TermsFilterSet(filters.FilterSet):
    goal_id = filters.NumberFilter(field_name="goal")
    offer_id = filters.NumberFilter(field_name="goal__offer")

    class Meta:
        model = Terms
        fields = ["id", "goal_id", "offer_id", "revenue_kind", "payout_kind"]


class AdvertiserTermsFilterSet(filters.FilterSet):
    """Terms filters for advertisers: nothing on the payout side (not even its kind)."""

    goal_id = filters.NumberFilter(field_name="goal")
    offer_id = filters.NumberFilter(field_name="goal__offer")

    class Meta:
        model = Terms
        fields = ["id", "goal_id", "offer_id", "revenue_kind"]


class PublisherOverrideFilterSet(filters.FilterSet):
    publisher_id = filters.NumberFilter(field_name="publisher")
    offer_id = filters.NumberFilter(field_name="offer")
    goal_id = filters.NumberFilter(field_name="goal")

    class Meta:
        model = PublisherOverride
        fields = ["id", "publisher_id", "offer_id", "goal_id", "payout_kind"]


class CapFilterSet(filters.FilterSet):
    offer_id = filters.NumberFilter(field_name="offer")
    publisher_id = filters.NumberFilter(field_name="publisher")

    class Meta:
        model = Cap
        fields = ["id", "offer_id", "publisher_id", "period", "metric", "action"]
