"""The sandbox over the API: test links, a click's trace, a test conversion, reset."""

from typing import ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_shapes import StrictInputSerializer
from tracking.clicks.ids import TEST_MARK
from tracking.models import SandboxLink
from tracking.sandbox.selectors import sandbox_links_visible_to, sandbox_trace
from tracking.sandbox.services import (
    SEND_DIALECTS,
    sandbox_conversion_send,
    sandbox_link_click_ids,
    sandbox_link_create,
    sandbox_link_url,
    sandbox_reset,
)


class SandboxLinkSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    click_ids = serializers.SerializerMethodField()

    class Meta:
        model = SandboxLink
        fields = ["id", "code", "offer", "publisher", "url", "click_ids", "created_at"]
        read_only_fields = fields

    def get_url(self, link: SandboxLink) -> str:
        return sandbox_link_url(link)

    def get_click_ids(self, link: SandboxLink) -> list[str]:
        return sandbox_link_click_ids(link=link)


class SandboxLinkCreateSerializer(StrictInputSerializer):
    offer = serializers.IntegerField(min_value=1)
    publisher = serializers.IntegerField(min_value=1, required=False)


class ResetSerializer(serializers.Serializer):
    postbacks = serializers.IntegerField()
    conversions = serializers.IntegerField()
    callbacks = serializers.IntegerField()
    clicks = serializers.IntegerField()
    trace_steps = serializers.IntegerField()


class SandboxLinkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Test links: clicks through them run the whole chain, and their conversions are test
    ones that reach no ledger, report, cap or fraud counter."""

    serializer_class = SandboxLinkSerializer
    filterset_fields: ClassVar[list[str]] = ["offer", "publisher"]
    ordering_fields: ClassVar[list[str]] = ["id", "created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SandboxLink.objects.none()
        return sandbox_links_visible_to(user=self.request.user)

    @extend_schema(request=SandboxLinkCreateSerializer, responses={201: SandboxLinkSerializer})
    def create(self, request: Request) -> Response:
        """Mint a test link (publishers for themselves, managers naming the publisher)."""
        given = SandboxLinkCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        link = sandbox_link_create(
            user=request.user,
            offer_id=given.validated_data["offer"],
            publisher_id=given.validated_data.get("publisher"),
        )
        return Response(SandboxLinkSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ResetSerializer})
    @action(detail=True, methods=["post"])
    def reset(self, request: Request, pk: str) -> Response:
        """Delete this link's test rows (clicks, callbacks, conversions, postbacks, trace)."""
        link = self.get_object()  # a malformed, missing or foreign id: 404, as documented
        return Response(sandbox_reset(user=request.user, link_id=link.id))


# A test click's id as the sandbox mints it (tracking.clicks.ids.click_id_test_new): a ULID's
# time part, TEST, then 12 more Crockford characters. The schema says so, and the field reads
# nothing else (`make fuzz`: any string was schema-valid and a 400 not_a_test_click).
CROCKFORD = "[0-9A-HJKMNP-TV-Z]"
TEST_CLICK_ID = rf"^{CROCKFORD}{{10}}{TEST_MARK}{CROCKFORD}{{12}}$"


class SendSerializer(StrictInputSerializer):
    click_id = serializers.RegexField(
        TEST_CLICK_ID,
        trim_whitespace=False,
        help_text="A test click's id (the click_ids of a sandbox link).",
    )
    dialect = serializers.ChoiceField(choices=SEND_DIALECTS, default="s2s")
    goal = serializers.CharField(max_length=255, required=False, default="")
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=6, min_value=0, required=False, allow_null=True
    )
    txn_id = serializers.CharField(max_length=128, required=False, default="")
    status = serializers.ChoiceField(
        choices=["", "approved", "pending", "rejected"], required=False, default=""
    )


class SentSerializer(serializers.Serializer):
    click_id = serializers.CharField()
    dialect = serializers.CharField()
    signed = serializers.BooleanField()
    status = serializers.IntegerField(help_text="What the callback endpoint answered.")
    answer = serializers.CharField()


class SandboxConversionView(APIView):
    @extend_schema(
        request=SendSerializer,
        responses={
            201: SentSerializer,
            404: OpenApiResponse(description="No test click you may see has this click_id."),
        },
    )
    def post(self, request: Request) -> Response:
        """Send a test conversion for a test click, as its advertiser would: through the
        callback endpoint's own entry, signed with the advertiser's key where the network can,
        else marked as sent by the network. Attribution then runs as for any callback."""
        given = SendSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        sent = sandbox_conversion_send(user=request.user, **given.validated_data)
        return Response(SentSerializer(sent).data, status=status.HTTP_201_CREATED)


class SandboxTraceView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, click_id: str) -> Response:
        """Every step of one test click, as the caller's side may see it: redirect and click
        (publisher), callbacks as received (advertiser), attribution with each check and the
        arithmetic, and each postback attempt (publisher). Managers see all."""
        return Response(sandbox_trace(user=request.user, click_id=click_id))
