"""Clicks over the API, read-only, scoped by role, filtered, newest first.

Cursor pagination: the clicks table is large and partitioned by day, and a page-number COUNT
over it would cost more than the page.
"""

from typing import Any, ClassVar

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.pagination import CursorPagination

from accounts.models import Role
from accounts.selectors import user_role
from core.api import StrictPageSize
from tracking.clicks.selectors import clicks_visible_to
from tracking.models import Click
from tracking.smart_link_explain import smart_choice_explain

PARTNER_FIELDS = [
    "click_id",
    "created_at",
    "offer_id",
    "publisher_id",
    "link_id",
    "country",
    "device",
    "sub1",
    "sub2",
    "sub3",
    "sub4",
    "sub5",
    "source",
    "is_unique",
    "is_bot",
    "fallback_reason",
    "creative_id",
]


class ClickSerializer(serializers.ModelSerializer):
    """An advertiser's view (and the base of the others)."""

    class Meta:
        model = Click
        fields = PARTNER_FIELDS


class SmartCandidateSerializer(serializers.Serializer):
    offer_id = serializers.IntegerField()
    eligible = serializers.BooleanField()
    chosen = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why it was not eligible; empty when it was.")
    reason_in_words = serializers.CharField()
    epc = serializers.CharField(
        allow_null=True,
        help_text="Its recent network-wide EPC as the redirect's snapshot held it (staff only; "
        "null for publishers).",
    )


class SmartChoiceSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="The smart link's rule: epc or weighted.")
    how = serializers.CharField(help_text="best_epc, explore, weighted, none or off.")
    how_in_words = serializers.CharField()
    chosen_offer_id = serializers.IntegerField(allow_null=True)
    candidates = SmartCandidateSerializer(many=True)


class PublisherClickSerializer(ClickSerializer):
    """A publisher also sees its smart link's decision: the offer chosen and why, and why each
    other candidate was not eligible (never shown to advertisers: it names other offers)."""

    smart_link = serializers.SerializerMethodField()
    with_epc = False

    class Meta:
        model = Click
        fields = [*PARTNER_FIELDS, "smart_link_id", "smart_link"]

    @extend_schema_field(SmartChoiceSerializer(allow_null=True))
    def get_smart_link(self, click: Click) -> dict[str, Any] | None:
        return smart_choice_explain(
            text=click.smart_choice, offer_id=click.offer_id, with_epc=self.with_epc
        )


class StaffClickSerializer(PublisherClickSerializer):
    """Staff also see who clicked (address, browser, referrer): fraud review; and the
    candidates' network-wide EPCs behind a smart link's choice."""

    with_epc = True

    class Meta:
        model = Click
        fields = [*PARTNER_FIELDS, "smart_link_id", "smart_link", "ip", "user_agent", "referrer"]


class ClickFilter(django_filters.FilterSet):
    offer = django_filters.NumberFilter(field_name="offer_id")
    publisher = django_filters.NumberFilter(field_name="publisher_id")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Click
        fields: ClassVar[list[str]] = [
            "sub1",
            "sub2",
            "sub3",
            "sub4",
            "sub5",
            "source",
            "is_unique",
            "is_bot",
            "fallback_reason",
            "country",
            "device",
        ]


class ClickPagination(StrictPageSize, CursorPagination):
    ordering = "-created_at"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class ClickViewSet(viewsets.ReadOnlyModelViewSet):
    filterset_class = ClickFilter
    pagination_class = ClickPagination
    lookup_field = "click_id"
    ordering = ("-created_at",)
    ordering_fields: ClassVar[list[str]] = ["created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Click.objects.none()
        return clicks_visible_to(user=self.request.user)

    def get_serializer_class(self):
        role = user_role(getattr(self.request, "user", None))
        if role in (Role.MANAGER, Role.FINANCE):
            return StaffClickSerializer
        if role == Role.PUBLISHER:
            return PublisherClickSerializer
        return ClickSerializer
