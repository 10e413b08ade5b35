"""The managers' review queue: conversions a fraud rule held, with evidence; decided in bulk."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_shapes import StrictInputSerializer
from tracking.api.conversions import StaffConversionSerializer
from tracking.models import Conversion
from tracking.review import review_decide, review_evidence, review_queue


class IsManager(permissions.BasePermission):
    message = "Only managers read and decide the review queue."

    def has_permission(self, request, view) -> bool:
        return bool(getattr(request.user, "is_manager", False))


class ReviewItemSerializer(StaffConversionSerializer):
    evidence = serializers.SerializerMethodField()

    class Meta(StaffConversionSerializer.Meta):
        fields = [*StaffConversionSerializer.Meta.fields, "evidence"]

    def get_evidence(self, conversion: Conversion) -> dict:
        """{"click": the click with its signals, "siblings": conversions from the same address
        or device (`same`: "address" or "device")}"""
        return review_evidence(conversion=conversion)


class DecideSerializer(StrictInputSerializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(max_length=2000)


class ReviewQueueViewSet(viewsets.ReadOnlyModelViewSet):
    """Conversions pending `fraud_review`, oldest first, with the fraud verdict (`fraud`:
    signal values, the rules that fired, the rule set version) and the evidence."""

    serializer_class = ReviewItemSerializer
    permission_classes = [permissions.IsAuthenticated, IsManager]
    filterset_fields = ["offer", "publisher", "sub1"]

    def get_queryset(self):
        return review_queue().prefetch_related("history")

    @extend_schema(request=DecideSerializer, responses=StaffConversionSerializer(many=True))
    @action(detail=False, methods=["post"])
    def decide(self, request: Request) -> Response:
        """Approve or reject many held conversions with one reason, all or none (each through
        the money policy; approving books the earning)."""
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decided = review_decide(actor=request.user, **body.validated_data)
        return Response(StaffConversionSerializer(decided, many=True).data)
