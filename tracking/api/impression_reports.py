"""The authenticated impression source over the API (tracking/impression_reports.py).

/api/v1/impression-sources/: where an offer's (or one publisher's) CPM is counted from;
managers set it.
/api/v1/impression-reports/: reported impression counts, server to server (the offer's
advertiser with its API key, or a manager); idempotent by report_id.
"""

from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from accounts.selectors import user_role
from core.api_shapes import StrictInputSerializer
from tracking.impression_reports import (
    impression_reports_visible_to,
    impression_source_set,
    impression_sources_visible_to,
    impressions_report,
)
from tracking.models import ImpressionReport, ImpressionSource


class ImpressionSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImpressionSource
        fields = ["id", "offer", "publisher", "source", "updated_at"]
        read_only_fields = fields


class ImpressionSourceSetSerializer(StrictInputSerializer):
    offer = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    publisher = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        help_text="One publisher's source; omitted or null: the offer's, for every publisher "
        "without its own.",
    )
    source = serializers.ChoiceField(choices=ImpressionSource.Source.choices)


class ImpressionSourceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Where CPM is counted from: `pixel` (no row: the default) or `reported`."""

    serializer_class = ImpressionSourceSerializer
    filterset_fields: ClassVar[list[str]] = ["offer", "publisher", "source"]
    ordering_fields: ClassVar[list[str]] = ["id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImpressionSource.objects.none()
        return impression_sources_visible_to(user=self.request.user)

    @extend_schema(
        request=ImpressionSourceSetSerializer,
        responses={
            201: ImpressionSourceSerializer,
            200: OpenApiResponse(ImpressionSourceSerializer, description="The row was changed."),
        },
    )
    def create(self, request: Request) -> Response:
        """Set an offer's (or one publisher's) impression source (managers)."""
        given = ImpressionSourceSetSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        row, created = impression_source_set(
            user=request.user,
            offer_id=given.validated_data["offer"],
            publisher_id=given.validated_data.get("publisher"),
            source=given.validated_data["source"],
        )
        return Response(
            ImpressionSourceSerializer(row).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# Who reads which money of a correction: advertisers never see payouts, publishers never see
# revenue (accounts.policy: terms).
_HIDDEN: dict[str | None, set[str]] = {
    Role.ADVERTISER.value: {"payout_change"},
    Role.PUBLISHER.value: {"revenue_change", "reported_by"},
}


def _hidden_from(roles: set[str], schema: dict[str, Any]) -> dict[str, Any]:
    """A field's schema, left out of the schema served to `roles` (config.schema), as its
    answers to them leave it out (`make fuzz`: an advertiser's 201 lacked the required
    payout_change)."""
    return {**schema, "x-hidden-from-roles": sorted(roles)}


_CHANGE = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^-?[0-9]{1,12}(\.[0-9]{0,6})?$",
    "nullable": True,
}


@extend_schema_field(_hidden_from({Role.PUBLISHER.value}, _CHANGE))
class _RevenueChangeField(serializers.DecimalField):
    pass


@extend_schema_field(_hidden_from({Role.ADVERTISER.value}, _CHANGE))
class _PayoutChangeField(serializers.DecimalField):
    pass


@extend_schema_field(_hidden_from({Role.PUBLISHER.value}, {"type": "integer", "nullable": True}))
class _ReportedByField(serializers.IntegerField):
    pass


class ImpressionReportSerializer(serializers.ModelSerializer):
    revenue_change = _RevenueChangeField(
        max_digits=18, decimal_places=6, read_only=True, allow_null=True
    )
    payout_change = _PayoutChangeField(
        max_digits=18, decimal_places=6, read_only=True, allow_null=True
    )
    reported_by = _ReportedByField(source="reported_by_id", read_only=True, allow_null=True)
    repeat = serializers.SerializerMethodField(
        help_text="True when this answer is to a repeat of a report already received."
    )

    class Meta:
        model = ImpressionReport
        fields = ["id", "report_id", "offer", "publisher", "day", "creative", "count"]
        fields += ["status", "is_current", "reporter_role", "reported_by", "created_at"]
        fields += ["paid_before", "paid_after", "currency", "revenue_change", "payout_change"]
        fields += ["repeat"]
        read_only_fields = fields

    def get_repeat(self, report: ImpressionReport) -> bool:
        return bool(self.context.get("repeat"))

    def to_representation(self, instance: ImpressionReport) -> dict[str, Any]:
        shown = super().to_representation(instance)
        request = self.context.get("request")
        role = user_role(request.user) if request is not None else None
        for name in _HIDDEN.get(role, set()):
            shown.pop(name, None)
        return shown


class ImpressionReportCreateSerializer(StrictInputSerializer):
    report_id = serializers.CharField(
        max_length=100,
        help_text="The reporter's id of this report, unique per offer: sending it again with "
        "the same figures changes nothing (200, repeat true); with other figures it is refused "
        "(409 report_id_reused). A correction is a new report_id for the same line.",
    )
    offer = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    publisher = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    day = serializers.DateField(
        help_text="The network day (NETWORK_TIME_ZONE) the impressions were shown on, as the "
        "daily booking cuts days."
    )
    creative = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        help_text="The offer's creative shown, if counted per creative; each creative (and "
        "none) is its own line, the day's count their sum.",
    )
    count = serializers.IntegerField(min_value=0, max_value=10**12)


class ImpressionReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Reported impression counts: the offer's advertiser or a manager report; the publisher
    reads what was reported for it."""

    serializer_class = ImpressionReportSerializer
    filterset_fields: ClassVar[list[str]] = ["offer", "publisher", "day", "status", "is_current"]
    ordering_fields: ClassVar[list[str]] = ["id", "day", "created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImpressionReport.objects.none()
        return impression_reports_visible_to(user=self.request.user)

    @extend_schema(
        request=ImpressionReportCreateSerializer,
        responses={
            201: ImpressionReportSerializer,
            200: OpenApiResponse(
                ImpressionReportSerializer,
                description="A repeat of a report already received (same report_id and "
                "figures): nothing changed.",
            ),
        },
    )
    def create(self, request: Request) -> Response:
        """Report one impression count (the offer's advertiser, or a manager). 403 for any
        other role; 409 source_is_pixel where the offer's CPM is counted from pixels,
        report_id_reused, or day_booked_from_pixels."""
        given = ImpressionReportCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        received = impressions_report(
            user=request.user,
            report_id=data["report_id"],
            offer_id=data["offer"],
            publisher_id=data["publisher"],
            day=data["day"],
            count=data["count"],
            creative_id=data.get("creative"),
        )
        shown = ImpressionReportSerializer(
            received.report, context={"request": request, "repeat": received.repeat}
        ).data
        return Response(
            shown, status=status.HTTP_200_OK if received.repeat else status.HTTP_201_CREATED
        )
