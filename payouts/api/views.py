"""Payouts endpoints: batches for finance (managers read), balances and history for publishers.

Thin: validate, call one service or selector, serialize. Refusals are core.errors.
"""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_role
from core.api import Pagination
from core.api_writes import GuardedWriteViewSet
from core.errors import DomainError, ForbiddenError
from core.validation import whole_number
from payouts import selectors, services
from payouts.api import serializers
from payouts.exports import payout_batch_csv, payout_batch_csv_filename
from payouts.models import AdjustmentRequest, LedgerEntry, PayoutBatch

STAFF = {"manager", "finance"}


class _FormatNamesTheFile(DefaultContentNegotiation):
    """On export, `?format=` names the CSV dialect, not a DRF renderer; errors stay JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _csv_response(batch: PayoutBatch, text: str, export_format: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    filename = payout_batch_csv_filename(batch=batch, export_format=export_format)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class PayoutBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GuardedWriteViewSet):
    """Payout batches. Finance builds, approves (not their own), exports, marks paid, fails
    lines; managers read. Everyone else: 403."""

    serializer_class = serializers.PayoutBatchSerializer
    filterset_fields = ["currency", "status"]
    ordering_fields = ["id", "cut_off", "built_at", "total"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PayoutBatch.objects.none()
        return selectors.payout_batches_for(user=self.request.user)

    def get_serializer_class(self):
        if self.action in ("retrieve", "create"):
            return serializers.PayoutBatchDetailSerializer
        return super().get_serializer_class()

    def _detail(self, batch: PayoutBatch, code: int = status.HTTP_200_OK) -> Response:
        batch = self.get_queryset().prefetch_related("lines").get(id=batch.id)
        batch.digest = selectors.payout_batch_digest(batch_id=batch.id)
        batch.authors = sorted(selectors.payout_batch_authors(batch=batch))
        batch.failure_requests = selectors.line_failure_requests(batch_id=batch.id)
        return Response(serializers.PayoutBatchDetailSerializer(batch).data, status=code)

    @extend_schema(request=serializers.BatchBuildSerializer)
    def create(self, request: Request) -> Response:
        data = self.write_body(request, serializers.BatchBuildSerializer)
        batch = services.payout_batch_build(
            currency=data["currency"].upper(),
            cut_off=data.get("cut_off"),
            built_by=request.user,
        )
        return self._detail(batch, status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._detail(self.get_object())

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        batch = self.get_object()
        services.payout_batch_delete(batch_id=batch.id, deleted_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=serializers.BatchRebuildSerializer)
    @action(detail=True, methods=["post"])
    def rebuild(self, request: Request, pk: str | None = None) -> Response:
        batch = self.get_object()
        data = serializers.BatchRebuildSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = services.payout_batch_rebuild(
            batch_id=batch.id, rebuilt_by=request.user, cut_off=data.validated_data.get("cut_off")
        )
        return self._detail(batch)

    @extend_schema(request=serializers.BatchApproveSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        batch = self.get_object()
        data = serializers.BatchApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = services.payout_batch_approve(
            batch_id=batch.id,
            approved_by=request.user,
            digest=data.validated_data["digest"],
            expected_total=data.validated_data.get("total"),
        )
        return self._detail(batch)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["standard", "paypal", "wise"])],
        request=None,
        responses={(200, "text/csv"): str},
    )
    @action(detail=True, methods=["get", "post"], content_negotiation_class=_FormatNamesTheFile)
    def export(self, request: Request, pk: str | None = None) -> HttpResponse:
        """POST marks an approved batch exported and returns the file; GET downloads the file
        of a batch already exported or paid, changing nothing."""
        batch = self.get_object()
        export_format = request.query_params.get("format", "standard")
        if request.method == "POST":
            batch, text = services.payout_batch_export(
                batch_id=batch.id, exported_by=request.user, export_format=export_format
            )
            return _csv_response(batch, text, export_format)
        if batch.status not in (PayoutBatch.Status.EXPORTED, PayoutBatch.Status.PAID):
            raise DomainError(
                "batch_state", "Export the batch (POST) before downloading it.", status_code=409
            )
        text = payout_batch_csv(batch=batch, export_format=export_format)
        return _csv_response(batch, text, export_format)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request: Request, pk: str | None = None) -> Response:
        batch = self.get_object()
        batch = services.payout_batch_mark_paid(batch_id=batch.id, paid_by=request.user)
        return self._detail(batch)

    @extend_schema(
        request=serializers.LineFailSerializer,
        responses={202: serializers.LineFailureRequestSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"lines/(?P<line_id>[0-9]+)/mark-failed",
        url_name="line-mark-failed",
    )
    def line_mark_failed(
        self, request: Request, pk: str | None = None, line_id: str | None = None
    ) -> Response:
        """Ask to mark a paid line failed; a second finance user confirms (confirm-failed)."""
        batch = self.get_object()
        data = serializers.LineFailSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        failure = services.payout_line_failure_request(
            batch_id=batch.id,
            line_id=int(line_id),
            requested_by=request.user,
            reason=data.validated_data.get("reason", ""),
        )
        return Response(
            serializers.LineFailureRequestSerializer(failure).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(request=None, responses=serializers.PayoutBatchLineSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"lines/(?P<line_id>[0-9]+)/confirm-failed",
        url_name="line-confirm-failed",
    )
    def line_confirm_failed(
        self, request: Request, pk: str | None = None, line_id: str | None = None
    ) -> Response:
        """Confirm another finance user's request: the line's amount is owed again."""
        batch = self.get_object()
        line = services.payout_line_failure_confirm(
            batch_id=batch.id, line_id=int(line_id), confirmed_by=request.user
        )
        return Response(serializers.PayoutBatchLineSerializer(line).data)

    @extend_schema(request=None, responses=serializers.LineFailureRequestSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"lines/(?P<line_id>[0-9]+)/reject-failed",
        url_name="line-reject-failed",
    )
    def line_reject_failed(
        self, request: Request, pk: str | None = None, line_id: str | None = None
    ) -> Response:
        batch = self.get_object()
        failure = services.payout_line_failure_reject(
            batch_id=batch.id, line_id=int(line_id), rejected_by=request.user
        )
        return Response(serializers.LineFailureRequestSerializer(failure).data)


class LedgerEntryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The ledger, read-only: staff see every entry, a publisher its own. Finance appends
    adjustments at /ledger-entries/adjustments/."""

    filterset_fields = ["publisher", "currency", "kind"]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LedgerEntry.objects.none()
        role = user_role(self.request.user)
        if role in STAFF:
            return LedgerEntry.objects.all()
        if role == "publisher":
            return LedgerEntry.objects.filter(publisher_id=self.request.user.publisher_id)
        raise ForbiddenError("forbidden", "The ledger is for finance, managers and publishers.")

    def get_serializer_class(self):
        if user_role(getattr(self.request, "user", None)) == "publisher":
            return serializers.PublisherLedgerEntrySerializer
        return serializers.LedgerEntrySerializer

    @extend_schema(
        request=serializers.AdjustmentSerializer,
        responses={
            201: serializers.LedgerEntrySerializer,
            202: serializers.PendingAdjustmentSerializer,
        },
    )
    @action(detail=False, methods=["post"])
    def adjustments(self, request: Request) -> Response:
        """201 with the entry; or, above PAYOUT_ADJUSTMENT_CONFIRM_ABOVE, 202 with the request a
        second finance user confirms at /adjustment-requests/{id}/confirm/."""
        data = serializers.AdjustmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = services.ledger_adjustment_create(
            publisher_id=data.validated_data["publisher"],
            currency=data.validated_data["currency"].upper(),
            amount=data.validated_data["amount"],
            reason=data.validated_data["reason"],
            created_by=request.user,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        if isinstance(outcome, AdjustmentRequest):
            return Response(
                serializers.PendingAdjustmentSerializer(outcome).data,
                status=status.HTTP_202_ACCEPTED,
            )
        return Response(serializers.LedgerEntrySerializer(outcome).data, status=201)


class AdjustmentRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Adjustments above the confirmation limit, waiting for a second finance user. Finance and
    managers read; finance confirms (not its own) or rejects."""

    serializer_class = serializers.PendingAdjustmentSerializer
    filterset_fields = ["publisher", "currency", "state"]
    ordering_fields = ["id", "requested_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AdjustmentRequest.objects.none()
        return selectors.adjustment_requests_for(user=self.request.user)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        adjustment = services.ledger_adjustment_confirm(
            request_id=self.get_object().id, confirmed_by=request.user
        )
        return Response(self.get_serializer(adjustment).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        adjustment = services.ledger_adjustment_reject(
            request_id=self.get_object().id, rejected_by=request.user
        )
        return Response(self.get_serializer(adjustment).data)


def _publisher_id_for(request: Request) -> int:
    """A publisher sees its own payouts; staff name one with ?publisher=<id>."""
    role = user_role(request.user)
    if role not in STAFF and role != "publisher":
        raise ForbiddenError("forbidden", "Payouts are for publishers, finance and managers.")
    # Read for every role, as the schema types it: a publisher's own is implied, but a value
    # that is no id is refused, not silently ignored (`make fuzz`: 2**63 was a 200).
    raw = request.query_params.get("publisher", "")
    publisher_id = whole_number(raw) if raw else None
    if raw and not publisher_id:
        raise DomainError.for_field("publisher", "invalid", "A publisher id: a whole number.")
    if role == "publisher":
        return request.user.publisher_id
    if publisher_id is None:
        raise DomainError.for_field("publisher", "required", "Name a publisher: ?publisher=<id>.")
    return publisher_id


# Staff must name the publisher; a publisher's own is implied (another id is ignored, a value
# that is no id refused). OpenAPI cannot make a parameter required for some callers only, so the
# extension says for whom.
PUBLISHER_PARAMETER = OpenApiParameter(
    "publisher",
    {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    required=False,
    description="Required for finance and managers (400 without it); a publisher's own is implied "
    "(any other id is ignored, a value that is no id refused).",
    extensions={"x-required-for-roles": ["finance", "manager"]},
)


class PublisherPayoutsView(APIView):
    """A publisher's balance by currency (total, eligible, held, in batches), with its most
    recent lines and payments; the full lists are at /payouts/lines/ and /payouts/payments/."""

    RECENT = 20

    @extend_schema(
        parameters=[PUBLISHER_PARAMETER],
        responses={
            200: inline_serializer(
                "PublisherPayouts",
                {
                    "publisher": drf_serializers.IntegerField(),
                    "balances": serializers.BalanceSerializer(many=True),
                    "lines": serializers.PublisherLineSerializer(many=True),
                    "payments": serializers.PublisherLedgerEntrySerializer(many=True),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        publisher_id = _publisher_id_for(request)
        balances = selectors.publisher_balances(publisher_id=publisher_id)
        lines = selectors.publisher_payout_lines(publisher_id=publisher_id)[: self.RECENT]
        payments = selectors.publisher_payments(publisher_id=publisher_id)[: self.RECENT]
        return Response(
            {
                "publisher": publisher_id,
                "balances": serializers.BalanceSerializer(balances, many=True).data,
                "lines": serializers.PublisherLineSerializer(lines, many=True).data,
                "payments": serializers.PublisherLedgerEntrySerializer(payments, many=True).data,
            }
        )


class _PublisherListView(APIView):
    pagination_class = Pagination

    def _page(self, request: Request, queryset, serializer_class) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


class PublisherPayoutLinesView(_PublisherListView):
    @extend_schema(
        parameters=[PUBLISHER_PARAMETER],
        responses={200: serializers.PublisherLineSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        publisher_id = _publisher_id_for(request)
        lines = selectors.publisher_payout_lines(publisher_id=publisher_id)
        return self._page(request, lines, serializers.PublisherLineSerializer)


class PublisherPaymentsView(_PublisherListView):
    @extend_schema(
        parameters=[PUBLISHER_PARAMETER],
        responses={200: serializers.PublisherLedgerEntrySerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        publisher_id = _publisher_id_for(request)
        payments = selectors.publisher_payments(publisher_id=publisher_id)
        return self._page(request, payments, serializers.PublisherLedgerEntrySerializer)
