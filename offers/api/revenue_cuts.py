"""/api/v1/revenue-cut-requests/: an advertiser's requests to lower what it pays on a live offer
(offers/revenue_cut_services.py), and the managers' decisions.

The offer's advertiser asks (POST); managers approve or reject with a reason (REVENUE_CUT_DECIDE
in accounts/policy.py); the advertiser may withdraw its pending request. Managers read every
request, an advertiser its own offers'; others see none. An approval applies to new conversions
only and is refused (409 `stale_request`) if the goal's revenue changed since it was asked; a
decided request is 409 `not_pending`.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_shapes import StrictInputMixin, StrictInputSerializer
from core.fields import money_field, percent_field
from offers.models import Goal, RevenueCutRequest, TermsKind
from offers.revenue_cut_services import (
    REASON_MAX_LENGTH,
    revenue_cut_approve,
    revenue_cut_reject,
    revenue_cut_request,
    revenue_cut_withdraw,
    revenue_cuts_visible_to,
)
from offers.selectors import goals_visible_to

_AMOUNT = money_field()
_PERCENT = percent_field()


class RevenueCutRequestSerializer(StrictInputMixin, serializers.ModelSerializer):
    """A request: the revenue asked for beside the revenue in force when it was asked (`was_*`),
    in the offer's currency, which never changes here."""

    goal = serializers.PrimaryKeyRelatedField(queryset=Goal.objects.none())
    revenue_kind = serializers.ChoiceField(choices=TermsKind.choices)
    revenue_amount = serializers.DecimalField(
        max_digits=_AMOUNT.max_digits,
        decimal_places=_AMOUNT.decimal_places,
        min_value=0,
        required=False,
    )
    revenue_percent = serializers.DecimalField(
        max_digits=_PERCENT.max_digits,
        decimal_places=_PERCENT.decimal_places,
        min_value=0,
        max_value=100,
        required=False,
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=REASON_MAX_LENGTH, help_text="Why (optional)."
    )
    state = serializers.CharField(
        read_only=True, help_text="pending, approved, rejected or withdrawn."
    )

    class Meta:
        model = RevenueCutRequest
        fields = [
            "id",
            "offer",
            "goal",
            "currency",
            "revenue_kind",
            "revenue_amount",
            "revenue_percent",
            "was_revenue_kind",
            "was_revenue_amount",
            "was_revenue_percent",
            "reason",
            "state",
            "rejection_reason",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = [
            "offer",
            "currency",
            "was_revenue_kind",
            "was_revenue_amount",
            "was_revenue_percent",
            "rejection_reason",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
        ]
        # A newer request withdraws the pending one (the service), not a uniqueness error.
        validators = []

    def get_fields(self) -> dict:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["goal"].queryset = goals_visible_to(user=request.user)
        return fields


class RevenueCutRejectSerializer(StrictInputSerializer):
    rejection_reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, help_text="Why; the advertiser is told."
    )


class RevenueCutRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Requests to lower revenue on a live offer. The offer's advertiser asks; a manager
    approves (the goal's revenue changes for new conversions only) or rejects with a reason."""

    serializer_class = RevenueCutRequestSerializer
    filterset_fields = ["offer", "goal", "state"]
    ordering_fields = ["id", "requested_at", "decided_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RevenueCutRequest.objects.none()
        return revenue_cuts_visible_to(user=self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = revenue_cut_request(
            goal=data["goal"],
            fields={
                name: data[name]
                for name in ("revenue_kind", "revenue_amount", "revenue_percent")
                if name in data
            },
            reason=data.get("reason", ""),
            requested_by=self.request.user,
        )

    @extend_schema(request=None, responses=RevenueCutRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Put the asked revenue in force for new conversions (managers)."""
        cut = revenue_cut_approve(request_id=self.get_object().id, approved_by=request.user)
        return Response(self.get_serializer(cut).data)

    @extend_schema(request=RevenueCutRejectSerializer, responses=RevenueCutRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Refuse it with a reason (managers); the revenue stays."""
        cut_id = self.get_object().id
        body = RevenueCutRejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cut = revenue_cut_reject(
            request_id=cut_id,
            rejected_by=request.user,
            reason=body.validated_data["rejection_reason"],
        )
        return Response(self.get_serializer(cut).data)

    @extend_schema(request=None, responses=RevenueCutRequestSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Take a pending request back (the offer's advertiser)."""
        cut = revenue_cut_withdraw(request_id=self.get_object().id, withdrawn_by=request.user)
        return Response(self.get_serializer(cut).data, status=status.HTTP_200_OK)
