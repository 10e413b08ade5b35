"""The callback inbox over the API, read-only: what each callback was answered and became.

An advertiser reads the callbacks tied to it (by its offer at the door, or by the click's offer
in attribution), refused ones included, with their result codes (`unknown_goal`, `bad_token`,
`pixel_domain_not_allowed`, ...): the way to debug an integration. Staff read all; publishers
none. Tokens never reach the inbox; the headers kept for deferred checks are shown to staff only.
"""

import django_filters
from rest_framework import serializers, viewsets

from accounts.models import Role
from accounts.selectors import user_role
from tracking.callbacks.selectors import callbacks_visible_to
from tracking.models import CallbackInbox

FIELDS = [
    "id",
    "received_at",
    "dialect",
    "method",
    "path",
    "params",
    "click_id",
    "state",
    "result",
    "processed_at",
    "conversion",
]


class CallbackSerializer(serializers.ModelSerializer):
    conversion = serializers.SerializerMethodField()

    class Meta:
        model = CallbackInbox
        fields = FIELDS
        read_only_fields = FIELDS

    def get_conversion(self, row: CallbackInbox) -> int | None:
        conversion = getattr(row, "conversion", None)
        return conversion.pk if conversion is not None else None


class StaffCallbackSerializer(CallbackSerializer):
    class Meta(CallbackSerializer.Meta):
        fields = [*FIELDS, "advertiser", "remote_ip", "headers", "attempts"]
        read_only_fields = fields


class CallbackFilter(django_filters.FilterSet):
    received_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = CallbackInbox
        fields = ["state", "result", "dialect", "click_id"]


class CallbackViewSet(viewsets.ReadOnlyModelViewSet):
    filterset_class = CallbackFilter
    ordering_fields = ["id", "received_at"]
    ordering = ["-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return CallbackInbox.objects.none()
        return callbacks_visible_to(user=self.request.user).order_by("-id")

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return StaffCallbackSerializer
        if user_role(self.request.user) in (Role.MANAGER, Role.FINANCE):
            return StaffCallbackSerializer
        return CallbackSerializer
