"""Conversions and publisher postback logs over the API, each role seeing only its own.

Managers see everything; finance reads everything; an advertiser user reads the conversions of
its own offers (revenue, never payout: not in fields, history, explanation or ordering); a
publisher user reads its own conversions (payout, never revenue, and it may not filter them by
advertiser) and its own postback deliveries, and may re-send them. Who may approve, reject,
reverse or adjust is the money policy's to say (accounts/policy.py), asked by the service.
"""

import django_filters
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from accounts.selectors import user_role
from core.api_shapes import StrictInputSerializer
from core.errors import DomainError, ForbiddenError
from tracking.attribution.actions import conversion_act, conversion_sale_lower
from tracking.explanations import explanation_for_advertiser
from tracking.models import Conversion, ConversionHistory, PostbackAttempt, PostbackDelivery
from tracking.postbacks.services import delivery_resend
from tracking.tasks.postbacks import postback_deliver

COMMON_FIELDS = [
    "id",
    "click_id",
    "click_created_at",
    "offer",
    "goal",
    "publisher",
    "status",
    "reject_reason",
    "currency",
    "sale_amount",
    "advertiser_txn_id",
    "sub1",
    "sub2",
    "sub3",
    "sub4",
    "sub5",
    "source",
    "created_at",
    "updated_at",
]


class HistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ConversionHistory
        fields = ["id", "action", "from_status", "to_status", "reason", "actor", "created_at"]


class StaffHistorySerializer(HistorySerializer):
    class Meta(HistorySerializer.Meta):
        fields = [
            *HistorySerializer.Meta.fields,
            "old_payout",
            "new_payout",
            "old_revenue",
            "new_revenue",
        ]


class StaffConversionSerializer(serializers.ModelSerializer):
    history = StaffHistorySerializer(many=True, read_only=True)

    class Meta:
        model = Conversion
        fields = [
            *COMMON_FIELDS,
            "advertiser",
            "inbox",
            "revenue",
            "payout",
            "terms",
            "explanation",
            "fraud",
            "history",
        ]


class AdvertiserConversionSerializer(serializers.ModelSerializer):
    history = HistorySerializer(many=True, read_only=True)
    explanation = serializers.SerializerMethodField()

    class Meta:
        model = Conversion
        fields = [*COMMON_FIELDS, "revenue", "explanation", "history"]

    def get_explanation(self, conversion: Conversion) -> list[dict]:
        return explanation_for_advertiser(conversion.explanation)


class PublisherConversionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conversion
        fields = [f for f in COMMON_FIELDS if f != "advertiser_txn_id"] + ["payout"]


class ActionSerializer(StrictInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    payout = serializers.DecimalField(max_digits=18, decimal_places=6, required=False)
    revenue = serializers.DecimalField(max_digits=18, decimal_places=6, required=False)
    override_caps = serializers.BooleanField(
        required=False, default=False, help_text="Approve past a full cap (managers; recorded)."
    )


class LowerSaleSerializer(StrictInputSerializer):
    sale_amount = serializers.DecimalField(max_digits=18, decimal_places=6, min_value=0)
    reason = serializers.CharField(max_length=2000)


class ConversionFilter(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Conversion
        fields = [
            "status",
            "offer",
            "goal",
            "publisher",
            "advertiser",
            "click_id",
            "advertiser_txn_id",
            "reject_reason",
            "currency",
            "sub1",
            "source",
        ]


def _is_staff(user) -> bool:
    return user.is_manager or user.role == Role.FINANCE


# Filters a role may not use: a publisher does not learn which advertiser is behind an offer.
FILTERS_REFUSED = {Role.PUBLISHER: frozenset({"advertiser"})}


class PublisherConversionFilter(ConversionFilter):
    """A publisher's filters: its schema does not offer what it is refused (`make fuzz`:
    ?advertiser= was schema-valid for a publisher and a 400 not_filterable)."""

    class Meta(ConversionFilter.Meta):
        fields = [
            name
            for name in ConversionFilter.Meta.fields
            if name not in FILTERS_REFUSED[Role.PUBLISHER]
        ]


class ConversionViewSet(viewsets.ReadOnlyModelViewSet):
    @property
    def filterset_class(self) -> type[ConversionFilter]:
        if user_role(getattr(self.request, "user", None)) == Role.PUBLISHER:
            return PublisherConversionFilter
        return ConversionFilter

    @property
    def ordering_fields(self) -> list[str]:
        # Ordering by payout would rank an advertiser's conversions by what publishers earn.
        if user_role(getattr(self.request, "user", None)) == Role.ADVERTISER:
            return ["id", "created_at"]
        return ["id", "created_at", "payout"]

    def filter_queryset(self, queryset):
        refused = FILTERS_REFUSED.get(user_role(self.request.user), frozenset())
        named = sorted(name for name in self.request.query_params if name in refused)
        if named:
            raise DomainError(
                "not_filterable",
                "You may not filter by: " + ", ".join(named) + ".",
                fields={name: ["You may not filter by this field."] for name in named},
            )
        return super().filter_queryset(queryset)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Conversion.objects.none()
        user = self.request.user
        queryset = Conversion.objects.all()
        if _is_staff(user):
            return queryset.prefetch_related("history")
        if user.role == Role.ADVERTISER:
            return queryset.filter(advertiser_id=user.advertiser_id).prefetch_related("history")
        if user.role == Role.PUBLISHER:
            return queryset.filter(publisher_id=user.publisher_id)
        return queryset.none()

    def get_serializer_class(self):
        user = self.request.user
        if getattr(self, "swagger_fake_view", False) or _is_staff(user):
            return StaffConversionSerializer
        if user.role == Role.ADVERTISER:
            return AdvertiserConversionSerializer
        return PublisherConversionSerializer

    def _act(self, request: Request, name: str) -> Response:
        conversion = self.get_object()  # 404 outside the caller's scope
        body = ActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # The service asks the money policy (403 when it refuses), on the locked row.
        updated = conversion_act(
            conversion_id=conversion.pk,
            action=name,
            actor=request.user,
            reason=body.validated_data["reason"],
            payout=body.validated_data.get("payout"),
            revenue=body.validated_data.get("revenue"),
            override_caps=body.validated_data["override_caps"],
        )
        updated = self.get_queryset().get(pk=updated.pk)
        return Response(self.get_serializer(updated).data)

    @extend_schema(request=ActionSerializer, responses=StaffConversionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None) -> Response:
        return self._act(request, ConversionHistory.Action.APPROVE)

    @extend_schema(request=ActionSerializer, responses=StaffConversionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk=None) -> Response:
        return self._act(request, ConversionHistory.Action.REJECT)

    @extend_schema(request=ActionSerializer, responses=StaffConversionSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, pk=None) -> Response:
        return self._act(request, ConversionHistory.Action.REVERSE)

    @extend_schema(request=ActionSerializer, responses=StaffConversionSerializer)
    @action(detail=True, methods=["post"])
    def adjust(self, request: Request, pk=None) -> Response:
        return self._act(request, ConversionHistory.Action.ADJUST)

    @extend_schema(request=LowerSaleSerializer)
    @action(detail=True, methods=["post"], url_path="lower-sale")
    def lower_sale(self, request: Request, pk=None) -> Response:
        """Lower the sale amount of a pending or approved conversion (an order partly
        returned): revenue and payout follow the terms frozen at attribution. Advertisers of
        the conversion and managers, with a reason; never raises it."""
        conversion = self.get_object()
        body = LowerSaleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        conversion_sale_lower(
            conversion_id=conversion.pk, actor=request.user, **body.validated_data
        )
        updated = self.get_queryset().get(pk=conversion.pk)
        return Response(self.get_serializer(updated).data)


class PostbackAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = PostbackAttempt
        fields = [
            "number",
            "attempted_at",
            "duration_ms",
            "status_code",
            "outcome",
            "response_excerpt",
        ]


class PostbackDeliverySerializer(serializers.ModelSerializer):
    log = PostbackAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = PostbackDelivery
        fields = [
            "id",
            "conversion",
            "template",
            "publisher",
            "event",
            "method",
            "url",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
            "log",
        ]


class PostbackDeliveryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = PostbackDeliverySerializer
    filterset_fields = ["status", "event", "conversion", "template", "publisher"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return PostbackDelivery.objects.none()
        user = self.request.user
        queryset = PostbackDelivery.objects.prefetch_related("log")
        if _is_staff(user):
            return queryset
        if user.role == Role.PUBLISHER:
            return queryset.filter(publisher_id=user.publisher_id)
        return queryset.none()

    # No body; the delivery is queued again, so the answer is a 202 with the delivery.
    @extend_schema(request=None, responses={202: PostbackDeliverySerializer})
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk=None) -> Response:
        delivery = self.get_object()
        if not (request.user.is_manager or request.user.role == Role.PUBLISHER):
            raise ForbiddenError("forbidden", "Only managers and the publisher may re-send.")
        delivery = delivery_resend(delivery=delivery)
        transaction.on_commit(lambda: postback_deliver.delay(delivery.pk))
        return Response(self.get_serializer(delivery).data, status=202)
