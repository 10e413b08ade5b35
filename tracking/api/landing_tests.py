"""A/B tests of landing variants: start, read the results per variant, end with a winner.

Results read clicks and conversions (tracking/landing_results.py), hence here, not in offers.
Ending is a policy action (landing_test.end, managers): it changes where the offer's traffic goes.
"""

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_roles import ADVERTISER, MANAGER, RoleFieldsSerializer, ScopedViewSet
from core.api_shapes import StrictInputSerializer
from offers import landing_services as services
from offers.landing import LandingTest, LandingVariant
from offers.selectors import goals_visible_to, offers_visible_to
from tracking.landing_results import landing_test_results


class LandingTestSerializer(RoleFieldsSerializer):
    _editable = frozenset({"offer", "goal"})
    writable_by_role = {MANAGER: _editable, ADVERTISER: _editable}
    create_only = _editable
    scoped_querysets = {"offer": offers_visible_to, "goal": goals_visible_to}

    class Meta:
        model = LandingTest
        fields = ["id", "offer", "goal", "status", "started_at", "ended_at", "winner", "ended_by"]
        read_only_fields = ["status", "started_at", "ended_at", "winner", "ended_by"]
        validators: list = []


class LandingTestEndSerializer(StrictInputSerializer):
    winner = serializers.PrimaryKeyRelatedField(queryset=LandingVariant.objects.all())


class VariantResultSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    weight = serializers.IntegerField()
    is_active = serializers.BooleanField()
    clicks = serializers.IntegerField()
    conversions = serializers.IntegerField()
    cr = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="Percent.")
    payout = serializers.DecimalField(max_digits=18, decimal_places=6)
    revenue = serializers.DecimalField(max_digits=18, decimal_places=6)
    epc = serializers.DecimalField(max_digits=18, decimal_places=4)
    revenue_per_click = serializers.DecimalField(max_digits=18, decimal_places=4)


class TestResultSerializer(serializers.Serializer):
    test_id = serializers.IntegerField()
    offer_id = serializers.IntegerField()
    goal_id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    currency = serializers.CharField()
    variants = VariantResultSerializer(many=True)
    test = serializers.CharField(help_text="The test of significance used.")
    chi2 = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    significant = serializers.BooleanField(help_text="p_value under 0.05.")
    reliable = serializers.BooleanField(help_text="Every expected cell at least 5.")
    leader_id = serializers.IntegerField(allow_null=True)


class LandingTestViewSet(ScopedViewSet):
    """A/B tests of an offer's landing variants; at most one running per offer."""

    selector = services.landing_tests_visible_to
    serializer_class = LandingTestSerializer
    filterset_fields = ["offer", "status"]
    ordering_fields = ["id", "started_at"]
    create_roles = frozenset({MANAGER, ADVERTISER})
    http_method_names = ["get", "post", "head"]

    def perform_create(self, serializer):
        serializer.instance = services.landing_test_start(
            offer=serializer.validated_data["offer"],
            goal=serializer.validated_data.get("goal"),
        )

    @extend_schema(request=None, responses=TestResultSerializer)
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: str | None = None) -> Response:
        """Clicks, conversions, CR and EPC per variant, and a chi-square test of the CRs."""
        result = landing_test_results(test=self.get_object())
        return Response(TestResultSerializer(asdict(result)).data)

    @extend_schema(request=LandingTestEndSerializer, responses=LandingTestSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        """End the test, promoting `winner`: its URL becomes the offer's landing URL."""
        test = self.get_object()
        body = LandingTestEndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ended = services.landing_test_end(
            test=test, winner=body.validated_data["winner"], actor=request.user
        )
        return Response(LandingTestSerializer(ended, context={"request": request}).data)
