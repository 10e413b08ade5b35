"""Creatives for publishers and by results.

GET /api/v1/creative-codes/: a publisher's approved creatives of the offers it may run, each
with the code to paste (its tracking link filled in, naming the creative). Other roles read the
creatives themselves at /api/v1/creatives/ (offers/api/creatives.py).

GET /api/v1/creative-results/?offer=: clicks, conversions and money per creative of an offer.
"""

from dataclasses import asdict
from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.selectors import user_role
from core.api_shapes import StrictInputSerializer
from core.errors import ForbiddenError, NotFoundError
from offers.api.creatives import CreativeKindField
from offers.creative_services import creative_image_src, creatives_visible_to
from offers.creatives import Creative
from offers.selectors import offer_visible_to
from tracking.creatives import (
    creative_click_url,
    creative_code,
    creative_impression_url,
    creative_results,
)

MAX_DAYS = 400


class CreativeCodeSerializer(serializers.ModelSerializer):
    click_url = serializers.SerializerMethodField()
    impression_url = serializers.SerializerMethodField()
    code = serializers.SerializerMethodField()
    image_src = serializers.SerializerMethodField(
        help_text="A banner's image as an absolute URL (its uploaded file, else its image_url); "
        "empty for other kinds."
    )
    kind = CreativeKindField(read_only=True)

    class Meta:
        model = Creative
        fields = ["id", "offer", "name", "kind", "width", "height", "click_url"]
        fields += ["impression_url", "image_src", "code"]

    def _publisher_id(self) -> int:
        return self.context["request"].user.publisher_id

    def get_click_url(self, creative: Creative) -> str:
        return creative_click_url(creative=creative, publisher_id=self._publisher_id())

    def get_impression_url(self, creative: Creative) -> str:
        return creative_impression_url(creative=creative, publisher_id=self._publisher_id())

    def get_image_src(self, creative: Creative) -> str:
        return creative_image_src(creative) if creative.kind == Creative.Kind.BANNER else ""

    def get_code(self, creative: Creative) -> str:
        """The HTML to paste: the creative, linking to `click_url`."""
        return creative_code(creative=creative, click_url=self.get_click_url(creative))


class CreativeCodeViewSet(viewsets.ReadOnlyModelViewSet):
    """A publisher's creatives with its link filled in (publishers only)."""

    serializer_class = CreativeCodeSerializer
    filterset_fields = ["offer", "kind"]
    ordering_fields = ["id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Creative.objects.none()
        if user_role(self.request.user) != Role.PUBLISHER:
            raise ForbiddenError("forbidden", "Creative codes are for publishers.")
        return creatives_visible_to(user=self.request.user).order_by("id")


class CreativeResultsQuery(StrictInputSerializer):
    offer = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, attrs):
        today = timezone.now().date()
        attrs.setdefault("date_to", today)
        month = timedelta(days=29)
        # From the first day there is when date_to is in year 1's first month.
        attrs.setdefault("date_from", max(attrs["date_to"], date.min + month) - month)
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_from": "After date_to."})
        if (attrs["date_to"] - attrs["date_from"]).days >= MAX_DAYS:
            raise serializers.ValidationError({"date_from": f"At most {MAX_DAYS} days."})
        return attrs


class CreativeResultSerializer(serializers.Serializer):
    creative_id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    clicks = serializers.IntegerField()
    unique_clicks = serializers.IntegerField()
    conversions = serializers.IntegerField()
    payout = serializers.DecimalField(
        max_digits=18, decimal_places=6, allow_null=True, help_text="Null for advertisers."
    )
    revenue = serializers.DecimalField(
        max_digits=18, decimal_places=6, allow_null=True, help_text="Null for publishers."
    )
    epc = serializers.DecimalField(
        max_digits=18, decimal_places=4, allow_null=True, help_text="Null for advertisers."
    )
    currency = serializers.CharField()


class CreativeResultsView(APIView):
    """Clicks, conversions, payout, revenue and EPC per creative of one offer, by the creative
    each click recorded; UTC days (default the last 30). Publishers see their own clicks."""

    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "offer", {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}, required=True
            ),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="UTC date, inclusive"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="UTC date, inclusive"),
        ],
        responses={200: CreativeResultSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = CreativeResultsQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        offer = offer_visible_to(user=request.user, offer_id=query.validated_data["offer"])
        if offer is None:
            raise NotFoundError("not_found", "No such offer.")
        rows = creative_results(
            user=request.user,
            offer=offer,
            date_from=query.validated_data["date_from"],
            date_to=query.validated_data["date_to"],
        )
        return Response(CreativeResultSerializer([asdict(row) for row in rows], many=True).data)
