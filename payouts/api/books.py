"""The books' endpoints: accounting periods (finance validates, another closes), tax forms
(a publisher uploads its own, finance reviews) and who a batch held out and why.

Thin: validate, call one service or selector, serialize. Refusals are core.errors.
"""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Action, actor_roles, policy_require, policy_roles
from accounts.selectors import user_role
from core.api_shapes import StrictInputSerializer
from core.errors import DomainError, ForbiddenError, NotFoundError
from payouts import selectors
from payouts.models import AccountingPeriod, TaxForm
from payouts.services.payees import tax_form_review, tax_form_upload
from payouts.services.periods import (
    period_close,
    period_month_parse,
    period_reopen,
    period_validate,
)


@extend_schema_field({"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$"})
class MonthField(serializers.Field):
    """A month as YYYY-MM, the year always four digits (strftime writes year 755 as "755")."""

    def to_representation(self, value) -> str:
        return f"{value.year:04d}-{value.month:02d}"


class AccountingPeriodSerializer(serializers.ModelSerializer):
    month = MonthField(read_only=True, help_text="YYYY-MM")
    # Null until the month is validated (closed).
    validated_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    closed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    # Null unless a validated month was sent back to open: the last time, by whom and why.
    reopened_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = AccountingPeriod
        fields = [
            "month",
            "starts_at",
            "ends_at",
            "time_zone",
            "status",
            "validated_by",
            "validated_at",
            "closed_by",
            "closed_at",
            "reopened_by",
            "reopened_at",
            "reopen_reason",
        ]
        read_only_fields = fields


class PeriodReopenSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the validation is undone.")


MONTH = OpenApiParameter(
    "month",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="YYYY-MM (years 0001-9999, months 01-12)",
    pattern=r"^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])$",
)


class AccountingPeriodViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Months of the books in the network's time zone. Finance validates an ended month, and
    another finance user closes it (months close in order); managers read. A month not listed
    is open."""

    serializer_class = AccountingPeriodSerializer
    lookup_field = "month"
    # ASCII digits only (\d also matches other scripts' digits); the month itself is checked by
    # period_month_parse, as MONTH documents.
    lookup_value_regex = r"[0-9]{4}-[0-9]{2}"
    filterset_fields = ["status"]
    ordering_fields = ["month"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AccountingPeriod.objects.none()
        return selectors.accounting_periods_for(user=self.request.user)

    @extend_schema(request=None, parameters=[MONTH], responses={200: AccountingPeriodSerializer})
    @action(detail=True, methods=["post"])
    def validate(self, request: Request, month: str) -> Response:
        period = period_validate(month=period_month_parse(value=month), validated_by=request.user)
        return Response(AccountingPeriodSerializer(period).data)

    @extend_schema(request=None, parameters=[MONTH], responses={200: AccountingPeriodSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, month: str) -> Response:
        period = period_close(month=period_month_parse(value=month), closed_by=request.user)
        return Response(AccountingPeriodSerializer(period).data)

    @extend_schema(
        request=PeriodReopenSerializer,
        parameters=[MONTH],
        responses={200: AccountingPeriodSerializer},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, month: str) -> Response:
        """Send a validated month back to open, with a reason: finance, not its validator. A
        closed month never reopens (409)."""
        data = PeriodReopenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        period = period_reopen(
            month=period_month_parse(value=month),
            reopened_by=request.user,
            reason=data.validated_data["reason"],
        )
        return Response(AccountingPeriodSerializer(period).data)


class TaxFormSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reviewed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = TaxForm
        fields = [
            "id",
            "publisher",
            "kind",
            "signed_on",
            "file_name",
            "content_type",
            "size",
            "status",
            "uploaded_by",
            "uploaded_at",
            "reviewed_by",
            "reviewed_at",
            "review_note",
            "valid_until",
        ]
        read_only_fields = fields


@extend_schema_field(
    {
        "type": "integer",
        "format": "int64",
        "minimum": 1,
        "maximum": 2**63 - 1,
        "description": "Finance only, and required for finance; a publisher's own is implied.",
        # Required in the body schema served to finance (config.schema), which the upload
        # refuses without it (400 required, `make fuzz`).
        "x-required-for-roles": ["finance"],
    }
)
class UploaderPublisherField(serializers.IntegerField):
    """The publisher a tax form is uploaded for: finance names it, a publisher's is its own."""


class TaxFormUploadSerializer(StrictInputSerializer):
    publisher = UploaderPublisherField(required=False, min_value=1, max_value=2**63 - 1)
    kind = serializers.ChoiceField(choices=TaxForm.Kind.choices)
    signed_on = serializers.DateField(help_text="The date on the form.")
    document = serializers.FileField(help_text="PDF, PNG or JPEG.")


class TaxFormReviewSerializer(StrictInputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class TaxFormAcceptSerializer(TaxFormReviewSerializer):
    valid_until = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The form's last valid day; null: no expiry. Left out: by its kind (a W-8BEN "
        "or W-8BEN-E to the end of the third calendar year after signing; others never).",
    )


class TaxFormViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tax forms. A publisher uploads and reads its own; finance reads all, uploads for a
    publisher, and accepts or rejects (never one it uploaded); managers read."""

    serializer_class = TaxFormSerializer
    filterset_fields = ["publisher", "status", "kind"]
    ordering_fields = ["id", "uploaded_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TaxForm.objects.none()
        return selectors.tax_forms_visible_to(user=self.request.user)

    @extend_schema(
        request={"multipart/form-data": TaxFormUploadSerializer}, responses={201: TaxFormSerializer}
    )
    def create(self, request: Request) -> Response:
        # A role no grant of tax_form.upload names (advertisers, managers) is refused before its
        # body is read, not with a 400 on the publisher it could not name (`make fuzz`).
        if not actor_roles(request.user) & policy_roles(Action.TAX_FORM_UPLOAD):
            policy_require(action=Action.TAX_FORM_UPLOAD, user=request.user)
        data = TaxFormUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if user_role(request.user) == "publisher":
            publisher_id = request.user.publisher_id
        else:
            publisher_id = data.validated_data.get("publisher")
            if publisher_id is None:
                raise DomainError.for_field("publisher", "required", "Name the publisher.")
        try:
            form = tax_form_upload(
                publisher_id=publisher_id,
                kind=data.validated_data["kind"],
                signed_on=data.validated_data["signed_on"],
                document=data.validated_data["document"],
                uploaded_by=request.user,
            )
        except NotFoundError as missing:
            # A publisher named in the body that does not exist is bad input (400), like any
            # body reference; a 404 is for the path's row.
            raise DomainError.for_field("publisher", "does_not_exist", str(missing)) from None
        return Response(TaxFormSerializer(form).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TaxFormAcceptSerializer, responses={200: TaxFormSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        return self._review(request, pk, accept=True)

    @extend_schema(request=TaxFormReviewSerializer, responses={200: TaxFormSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._review(request, pk, accept=False)

    def _review(self, request: Request, pk: str, *, accept: bool) -> Response:
        data = (TaxFormAcceptSerializer if accept else TaxFormReviewSerializer)(data=request.data)
        data.is_valid(raise_exception=True)
        form = self.get_object()
        expiry = (
            {"valid_until": data.validated_data["valid_until"]}
            if ("valid_until" in data.validated_data)
            else {}
        )
        form = tax_form_review(
            form_id=form.id,
            accept=accept,
            note=data.validated_data["note"],
            reviewed_by=request.user,
            **expiry,
        )
        return Response(TaxFormSerializer(form).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def document(self, request: Request, pk: str) -> FileResponse:
        """The stored file, as uploaded (finance, managers, the publisher itself)."""
        form = self.get_object()
        return FileResponse(
            form.document.open("rb"),
            as_attachment=True,
            filename=form.file_name,
            content_type=form.content_type,
        )


class HeldPayeeSerializer(serializers.Serializer):
    publisher = serializers.IntegerField()
    name = serializers.CharField()
    amount = serializers.CharField(help_text="What the batch would have paid, in its currency.")
    reason = serializers.CharField(help_text="The first of `reasons`.")
    reasons = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="publisher_suspended, publisher_banned, payout_details_unverified, "
        "payout_details_changed, tax_form_missing, tax_form_pending, tax_form_expired, "
        "tax_form_rejected",
    )
    until = serializers.CharField(required=False, help_text="When a payout details cool-down ends.")


class PayoutBatchHeldView(APIView):
    """Publishers the batch's build held out though money was due, and why (finance, managers)."""

    @extend_schema(responses={200: HeldPayeeSerializer(many=True)})
    def get(self, request: Request, batch_id: int) -> Response:
        if user_role(request.user) not in ("finance", "manager"):
            raise ForbiddenError("forbidden", "Payout batches are for finance and managers.")
        held = selectors.payout_batch_held(batch_id=batch_id, user=request.user)
        return Response(HeldPayeeSerializer(held, many=True).data)
