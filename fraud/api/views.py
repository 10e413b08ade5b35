"""Fraud rules over the API: managers read and edit them; signals list what can be ruled."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_fields import with_request_rule
from core.api_shapes import StrictInputMixin
from fraud import services
from fraud.models import FraudAction, FraudRule
from fraud.signals import REGISTRY


class IsManager(permissions.BasePermission):
    message = "Only managers read and edit fraud rules."

    def has_permission(self, request, view) -> bool:
        return bool(getattr(request.user, "is_manager", False))


class FraudRuleSerializer(StrictInputMixin, serializers.ModelSerializer):
    threshold = serializers.JSONField(
        help_text="Number (fires at value >= threshold), string (fires when equal) or true."
    )
    action = serializers.ChoiceField(choices=FraudAction.choices)
    # A known signal (fraud.services: unknown_signal), as the request schema says (`make fuzz`).
    signal = with_request_rule(serializers.CharField(max_length=64), {"enum": sorted(REGISTRY)})

    class Meta:
        model = FraudRule
        fields = ["id", "offer", "signal", "threshold", "action", "enabled", "updated_at"]
        read_only_fields = ["id", "updated_at"]

    def validate(self, attrs):
        if self.instance is not None:
            for fixed in ("offer", "signal"):
                if fixed in attrs and attrs[fixed] != getattr(self.instance, fixed):
                    raise serializers.ValidationError({fixed: "Fixed once created."})
        return attrs


class FraudRuleViewSet(viewsets.ModelViewSet):
    """Rules per offer (offer set) and the network's (offer null). A signal without a rule uses
    its default (GET /api/v1/fraud-signals/). An edit applies to new conversions only."""

    serializer_class = FraudRuleSerializer
    permission_classes = [permissions.IsAuthenticated, IsManager]
    queryset = FraudRule.objects.all()
    filterset_fields = ["offer", "signal", "action"]

    def perform_create(self, serializer):
        serializer.instance = services.fraud_rule_create(
            fields=dict(serializer.validated_data), actor=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = services.fraud_rule_update(
            rule=serializer.instance, fields=serializer.validated_data, actor=self.request.user
        )

    def perform_destroy(self, instance):
        services.fraud_rule_delete(rule=instance, actor=self.request.user)


class SignalSerializer(serializers.Serializer):
    name = serializers.CharField()
    stage = serializers.CharField()
    description = serializers.CharField()
    default_threshold = serializers.JSONField()
    default_action = serializers.CharField()
    reason_code = serializers.CharField()


class FraudSignalsView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsManager]

    @extend_schema(responses=SignalSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = [
            {
                "name": spec.name,
                "stage": spec.stage,
                "description": spec.description,
                "default_threshold": spec.threshold,
                "default_action": spec.action,
                "reason_code": spec.reason_code,
            }
            for spec in sorted(REGISTRY.values(), key=lambda spec: spec.name)
        ]
        return Response(SignalSerializer(rows, many=True).data)
