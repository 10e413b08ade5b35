"""Clicks over the API, read-only, scoped by role, filtered, newest first.

Cursor pagination: the clicks table is large and partitioned by day, and a page-number COUNT
over it would cost more than the page.
"""

from typing import ClassVar

import django_filters
from rest_framework import serializers, viewsets
from rest_framework.pagination import CursorPagination

from accounts.models import Role
from accounts.selectors import user_role
from tracking.clicks.selectors import clicks_visible_to
from tracking.models import Click

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
    class Meta:
        model = Click
        fields = PARTNER_FIELDS


class StaffClickSerializer(serializers.ModelSerializer):
    """Staff also see who clicked (address, browser, referrer): fraud review."""

    class Meta:
        model = Click
        fields = [*PARTNER_FIELDS, "ip", "user_agent", "referrer"]


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


class ClickPagination(CursorPagination):
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
        if user_role(getattr(self.request, "user", None)) in (Role.MANAGER, Role.FINANCE):
            return StaffClickSerializer
        return ClickSerializer
