"""GET /api/v1/reports/quality/: flagged clicks and conversions per signal, and the
advertiser's rejection rate, by day, publisher, offer and sub id (reports/quality.py)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.validation import BIGINT_MAX
from reports.quality import QUALITY_MAX_DAYS, quality_query_parse, quality_report

_COUNTS = serializers.DictField(child=serializers.IntegerField())
_SHARES = serializers.DictField(child=serializers.FloatField())
QUALITY_ROW = inline_serializer(
    "QualityRow",
    fields={
        "day": serializers.DateField(),
        "publisher": serializers.IntegerField(),
        "offer": serializers.IntegerField(),
        "sub1": serializers.CharField(),
        "clicks": serializers.IntegerField(),
        "conversions": serializers.IntegerField(),
        "advertiser_rejected": serializers.IntegerField(),
        "advertiser_rejection_rate": serializers.FloatField(allow_null=True),
        "flagged_clicks": _COUNTS,
        "flagged_conversions": _COUNTS,
        "flagged_click_share": _SHARES,
        "flagged_conversion_share": _SHARES,
    },
)


# An id as core.validation.whole_number reads it; an empty one is refused.
AN_ID = {"type": "integer", "minimum": 0, "maximum": BIGINT_MAX}


class QualityReportView(APIView):
    """Traffic quality per publisher, offer and sub id and day. Managers and finance see every
    publisher; a publisher only its own rows; advertisers are refused."""

    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="UTC date, inclusive"),
            OpenApiParameter(
                "date_to",
                OpenApiTypes.DATE,
                description=f"UTC date, inclusive (at most {QUALITY_MAX_DAYS} days)",
            ),
            OpenApiParameter("publisher", AN_ID, description="One publisher"),
            OpenApiParameter("offer", AN_ID, description="One offer"),
        ],
        responses={
            200: inline_serializer(
                "QualityReport", fields={"rows": serializers.ListField(child=QUALITY_ROW)}
            )
        },
    )
    def get(self, request: Request) -> Response:
        query = quality_query_parse(params=request.query_params)
        return Response({"rows": quality_report(user=request.user, query=query)})
