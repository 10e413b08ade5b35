"""A/B tests of creatives: start, the publisher's rotating code, results per creative, end.

Starting one: managers and the offer's own advertiser (as landing page tests). Ending one is a
policy action (creative_test.end, managers): it promotes the winner. Publishers read the tests
of offers they may run, their own code for each, and results of their own clicks only.
Results read clicks and conversions, hence here, not in offers.
"""

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from accounts.selectors import user_role
from core.api_fields import with_request_rule
from core.api_shapes import StrictInputSerializer
from core.errors import ForbiddenError
from offers import creative_test_services as services
from offers.creative_services import creatives_visible_to
from offers.creative_tests import CreativeTest, CreativeTestArm
from offers.creatives import Creative
from offers.models import Goal, Offer
from offers.selectors import goals_visible_to, offers_visible_to
from tracking.creative_test_code import creative_test_code
from tracking.creative_test_results import creative_test_results


class CreativeTestArmSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreativeTestArm
        fields = ["creative", "weight", "is_active"]
        read_only_fields = fields


class CreativeTestSerializer(serializers.ModelSerializer):
    arms = CreativeTestArmSerializer(many=True, read_only=True)
    # Text, not an enum component: the landing tests' running/ended enum keeps its name.
    status = serializers.CharField(read_only=True, help_text="running or ended")

    class Meta:
        model = CreativeTest
        fields = ["id", "offer", "name", "goal", "status", "started_at", "ended_at", "winner"]
        fields += ["ended_by", "arms"]
        read_only_fields = fields


class _UserScoped(serializers.PrimaryKeyRelatedField):
    """Choices among the rows the caller may see: a foreign id is "does not exist"."""

    def __init__(self, selector, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        request = self.context.get("request")
        if request is None or not user_role(request.user):
            return self.queryset
        return self.selector(user=request.user)


class ArmAskedSerializer(StrictInputSerializer):
    creative = _UserScoped(creatives_visible_to, queryset=Creative.objects.all())
    weight = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)


class CreativeTestStartSerializer(StrictInputSerializer):
    offer = _UserScoped(offers_visible_to, queryset=Offer.objects.all())
    name = serializers.CharField(max_length=100)
    goal = _UserScoped(goals_visible_to, queryset=Goal.objects.all(), required=False)
    # How many, said by the request schema too; the service refuses others (too_few_arms).
    arms = with_request_rule(
        serializers.ListSerializer(
            child=ArmAskedSerializer(),
            help_text=f"2 to {services.MAX_ARMS} of the offer's approved creatives.",
        ),
        {
            "minItems": 2,
            "maxItems": services.MAX_ARMS,
            # Each arm in place, closed as its strict serializer is (an unknown key is a 400).
            "items": {
                "type": "object",
                "properties": {
                    "creative": {"type": "integer"},
                    "weight": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
                },
                "required": ["creative"],
                "additionalProperties": False,
            },
        },
    )


class CreativeTestEndSerializer(StrictInputSerializer):
    winner = serializers.PrimaryKeyRelatedField(queryset=Creative.objects.all())


class ArmResultSerializer(serializers.Serializer):
    creative_id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    weight = serializers.IntegerField()
    is_active = serializers.BooleanField(help_text="Still shown by the test.")
    clicks = serializers.IntegerField()
    conversions = serializers.IntegerField()
    cr = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="Percent.")
    payout = serializers.DecimalField(
        max_digits=18, decimal_places=6, allow_null=True, help_text="Null for advertisers."
    )
    revenue = serializers.DecimalField(
        max_digits=18, decimal_places=6, allow_null=True, help_text="Null for publishers."
    )
    epc = serializers.DecimalField(
        max_digits=18, decimal_places=4, allow_null=True, help_text="Null for advertisers."
    )
    revenue_per_click = serializers.DecimalField(
        max_digits=18, decimal_places=4, allow_null=True, help_text="Null for publishers."
    )


class CreativeTestResultSerializer(serializers.Serializer):
    test_id = serializers.IntegerField()
    offer_id = serializers.IntegerField()
    goal_id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    currency = serializers.CharField()
    arms = ArmResultSerializer(many=True)
    test = serializers.CharField(help_text="The test of significance used.")
    chi2 = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    significant = serializers.BooleanField(help_text="p_value under 0.05.")
    reliable = serializers.BooleanField(help_text="Every expected cell at least 5.")
    leader_id = serializers.IntegerField(allow_null=True, help_text="The creative of best CR.")
    winner_id = serializers.IntegerField(allow_null=True, help_text="Promoted at the end.")


class RotatingCodeSerializer(serializers.Serializer):
    test_id = serializers.IntegerField()
    form = serializers.ChoiceField(
        choices=["image", "frame"],
        help_text="image: every creative a banner (an <img> in a link); frame: an <iframe>.",
    )
    click_url = serializers.CharField()
    serve_url = serializers.CharField(help_text="The image's or the frame's URL.")
    code = serializers.CharField(help_text="The HTML to paste.")


class CreativeTestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """A/B tests of an offer's creatives behind one rotating code per publisher."""

    serializer_class = CreativeTestSerializer
    filterset_fields = ["offer", "status"]
    ordering_fields = ["id", "started_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CreativeTest.objects.none()
        return services.creative_tests_visible_to(user=self.request.user)

    @extend_schema(request=CreativeTestStartSerializer, responses={201: CreativeTestSerializer})
    def create(self, request: Request) -> Response:
        """Start a test (managers, and the offer's own advertiser)."""
        if user_role(request.user) not in (Role.MANAGER, Role.ADVERTISER):
            raise ForbiddenError("forbidden", "Your role may not start creative tests.")
        body = CreativeTestStartSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        test = services.creative_test_start(
            offer=data["offer"],
            name=data["name"],
            goal=data.get("goal"),
            arms=[services.ArmAsked(arm["creative"], arm["weight"]) for arm in data["arms"]],
            actor=request.user,
        )
        return Response(CreativeTestSerializer(test).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=CreativeTestResultSerializer)
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: str | None = None) -> Response:
        """Clicks, conversions, CR and EPC per creative, and a chi-square test of the CRs.
        Publishers: their own clicks only."""
        result = creative_test_results(test=self.get_object(), user=request.user)
        return Response(CreativeTestResultSerializer(asdict(result)).data)

    @extend_schema(request=None, responses=RotatingCodeSerializer)
    @action(detail=True, methods=["get"])
    def code(self, request: Request, pk: str | None = None) -> Response:
        """The publisher's rotating code for the test (publishers only)."""
        test = self.get_object()
        if user_role(request.user) != Role.PUBLISHER:
            raise ForbiddenError("forbidden", "Rotating codes are for publishers.")
        code = creative_test_code(test=test, publisher_id=request.user.publisher_id)
        return Response(RotatingCodeSerializer(asdict(code)).data)

    @extend_schema(request=CreativeTestEndSerializer, responses=CreativeTestSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        """End the test, promoting `winner` (one of its creatives): the others are switched off
        for the test, so its code shows the winner to every visitor."""
        test = self.get_object()
        body = CreativeTestEndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ended = services.creative_test_end(
            test=test, winner=body.validated_data["winner"], actor=request.user
        )
        return Response(CreativeTestSerializer(ended).data)
