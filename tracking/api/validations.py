"""Monthly validation through the API (the same service as the pages, tracking/validation.py).

POST /api/v1/validations/preview/ reads a CSV (multipart `file`, or JSON `csv` text) and says
what applying it would change; POST /api/v1/validations/ applies it and keeps the result;
GET /api/v1/validations/ and /{id}/ read applied ones (advertisers their own). Advertisers
and managers only; advertisers are never shown payouts.
"""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_shapes import StrictInputSerializer
from tracking.models import ValidationUpload
from tracking.validation import (
    validation_apply,
    validation_parse,
    validation_preview,
    validation_uploads_visible_to,
)

MAX_BYTES = 2 * 1024 * 1024


class CanValidate(permissions.BasePermission):
    message = "Only advertisers and managers validate conversions."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(getattr(user, "is_manager", False) or getattr(user, "advertiser_id", None))


class ValidationInputSerializer(StrictInputSerializer):
    file = serializers.FileField(required=False, help_text="The CSV, as a multipart upload.")
    csv = serializers.CharField(
        required=False,
        trim_whitespace=False,
        max_length=MAX_BYTES,
        help_text="Or the CSV's text: txn_id (or click_id), decision, reason, sale_amount.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        upload = attrs.get("file")
        if upload is not None:
            if upload.size > MAX_BYTES:
                raise serializers.ValidationError({"file": ["At most 2 MB; split the file."]})
            try:
                attrs["csv"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise serializers.ValidationError({"file": ["Not UTF-8 text."]}) from exc
            attrs["filename"] = upload.name
        elif "csv" not in attrs:
            raise serializers.ValidationError({"file": ["Send a file or csv text."]})
        return attrs


class ValidationUploadSerializer(StrictInputSerializer):
    """The multipart body, as documented (`make fuzz`: a JSON body offered `file`, which JSON
    cannot carry)."""

    file = serializers.FileField(help_text="The CSV (UTF-8), at most 2 MB.")


class ValidationTextSerializer(StrictInputSerializer):
    """The JSON body, as documented."""

    csv = serializers.CharField(
        trim_whitespace=False,
        max_length=MAX_BYTES,
        help_text="The CSV's text: txn_id (or click_id), decision, reason, sale_amount.",
    )


# A file as multipart, or the CSV's text as JSON (ValidationInputSerializer reads either).
VALIDATION_REQUEST = {
    "application/json": ValidationTextSerializer,
    "multipart/form-data": ValidationUploadSerializer,
}


class ValidationRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    txn_id = serializers.CharField()
    click_id = serializers.CharField()
    decision = serializers.CharField()
    reason = serializers.CharField()
    sale_amount = serializers.CharField()
    outcome = serializers.CharField(
        help_text="change, unchanged, not_found, ambiguous, invalid, refused; after apply, "
        "done or refused."
    )
    message = serializers.CharField()
    conversion_id = serializers.IntegerField(allow_null=True)
    status_before = serializers.CharField()
    status_after = serializers.CharField()
    currency = serializers.CharField()
    revenue_change = serializers.CharField()
    payout_change = serializers.CharField(required=False, help_text="Managers only.")


def _rows(rows: list[dict[str, Any]], *, user: Any) -> list[dict[str, Any]]:
    if getattr(user, "is_manager", False):
        return rows
    return [{k: v for k, v in row.items() if k != "payout_change"} for row in rows]


def _summary(summary: dict[str, Any], *, user: Any) -> dict[str, Any]:
    if getattr(user, "is_manager", False):
        return summary
    money = {cur: {"revenue": sums["revenue"]} for cur, sums in summary.get("money", {}).items()}
    return {**summary, "money": money}


class ValidationSerializer(serializers.ModelSerializer):
    summary = serializers.SerializerMethodField()
    rows = serializers.SerializerMethodField()

    class Meta:
        model = ValidationUpload
        fields = ["id", "created_at", "uploaded_by", "advertiser", "filename", "summary", "rows"]

    def get_summary(self, upload: ValidationUpload) -> dict:
        """{"counts": {outcome: n}, "money": {currency: {"revenue": "...", "payout": "..."}}}"""
        return _summary(upload.summary, user=self.context["request"].user)

    def get_rows(self, upload: ValidationUpload) -> list[dict]:
        return _rows(upload.rows, user=self.context["request"].user)


class ValidationPreviewSerializer(serializers.Serializer):
    summary = serializers.DictField()
    rows = ValidationRowSerializer(many=True)


class ValidationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ValidationSerializer
    permission_classes = [permissions.IsAuthenticated, CanValidate]

    def get_queryset(self):
        return validation_uploads_visible_to(user=self.request.user)

    def _input(self, request: Request) -> dict[str, Any]:
        body = ValidationInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data

    @extend_schema(request=VALIDATION_REQUEST, responses=ValidationPreviewSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """What applying the file would change; changes nothing."""
        data = self._input(request)
        report = validation_preview(user=request.user, rows=validation_parse(text=data["csv"]))
        rows = [row.__dict__ for row in report.rows]
        return Response(
            {
                "summary": _summary(report.summary(), user=request.user),
                "rows": _rows(rows, user=request.user),
            }
        )

    @extend_schema(request=VALIDATION_REQUEST, responses={201: ValidationSerializer})
    def create(self, request: Request) -> Response:
        """Apply the file: each row through the conversion services, each asking the money
        policy; a refused row is reported and the others go on."""
        data = self._input(request)
        rows = validation_parse(text=data["csv"])
        done = validation_apply(user=request.user, rows=rows, filename=data.get("filename", ""))
        return Response(
            ValidationSerializer(done, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
