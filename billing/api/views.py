"""Billing endpoints: invoices, payments, advertiser balances and top-ups, credit limits and
revenue budgets. Finance moves the money (accounts/policy.py); managers read; an advertiser
reads its own issued invoices, payments, balances and budgets; publishers nothing.

Thin: validate, call one service or selector, serialize. Refusals are core.errors.
"""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors
from billing.api import serializers
from billing.documents import invoice_csv, invoice_filename, invoice_pdf
from billing.models import Invoice, Payment, RevenueBudget, TopUp
from billing.services.funds import revenue_budget_set
from billing.services.invoices import invoice_drafts_build, invoice_issue
from billing.services.receivables import (
    advertiser_top_up,
    funds_limit_set,
    invoice_payment_record,
)
from core.api_writes import GuardedWriteViewSet, body_validated


class _FileDownload(DefaultContentNegotiation):
    """A file endpoint answers its own content type; errors stay JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _file(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


_DRAFTS = {"type": "array", "items": {"$ref": "#/components/schemas/InvoiceDetail"}}


class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GuardedWriteViewSet):
    """Invoices. Finance drafts (POST) and issues them; managers read; an advertiser reads its
    own issued invoices; publishers: 403."""

    serializer_class = serializers.InvoiceSerializer
    filterset_fields = ["advertiser", "currency", "status", "period_start"]
    ordering_fields = ["id", "period_start", "issued_at", "total"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Invoice.objects.none()
        return selectors.invoices_for(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.InvoiceDetailSerializer
        return super().get_serializer_class()

    def _detail(self, invoice_id: int, code: int = status.HTTP_200_OK) -> Response:
        invoice = self.get_queryset().prefetch_related("lines").get(id=invoice_id)
        return Response(serializers.InvoiceDetailSerializer(invoice).data, status=code)

    @extend_schema(
        request=serializers.InvoiceBuildSerializer,
        # A plain array (the drafts, one per currency): pagination is for the list's GET only.
        responses={201: OpenApiResponse(response=_DRAFTS, description="The drafts.")},
    )
    def create(self, request: Request) -> Response:
        """Draft (or redraft) an advertiser's invoices for a period: one per currency."""
        data = self.write_body(request, serializers.InvoiceBuildSerializer)
        drafts = invoice_drafts_build(
            advertiser_id=data["advertiser"],
            period_start=data["period_start"],
            period_end=data.get("period_end"),
            built_by=request.user,
        )
        invoices = (
            self.get_queryset().prefetch_related("lines").filter(id__in=[d.id for d in drafts])
        )
        return self.created(
            serializers.InvoiceDetailSerializer(invoices.order_by("currency"), many=True).data
        )

    @extend_schema(request=None, responses=serializers.InvoiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: str | None = None) -> Response:
        """Number the draft (next in its series) and freeze it."""
        invoice = self.get_object()
        invoice_issue(invoice_id=invoice.id, issued_by=request.user)
        return self._detail(invoice.id)

    @extend_schema(request=None, responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"], content_negotiation_class=_FileDownload)
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        invoice = self.get_object()
        return _file(invoice_pdf(invoice), "application/pdf", invoice_filename(invoice, "pdf"))

    @extend_schema(request=None, responses={(200, "text/csv"): str})
    @action(detail=True, methods=["get"], content_negotiation_class=_FileDownload)
    def csv(self, request: Request, pk: str | None = None) -> HttpResponse:
        invoice = self.get_object()
        return _file(
            invoice_csv(invoice), "text/csv; charset=utf-8", invoice_filename(invoice, "csv")
        )


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GuardedWriteViewSet):
    """Payments received against invoices: finance records them; managers and the invoice's
    advertiser read."""

    serializer_class = serializers.PaymentSerializer
    filterset_fields = ["invoice", "currency", "source"]
    ordering_fields = ["id", "received_on", "amount"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return selectors.payments_for(user=self.request.user)

    @extend_schema(
        request=serializers.PaymentRecordSerializer, responses={201: serializers.PaymentSerializer}
    )
    def create(self, request: Request) -> Response:
        data = self.write_body(request, serializers.PaymentRecordSerializer)
        payment = invoice_payment_record(
            invoice_id=data["invoice"],
            amount=data["amount"],
            received_on=data["received_on"],
            reference=data.get("reference", ""),
            source=data.get("source", Payment.Source.TRANSFER),
            recorded_by=request.user,
        )
        payment = self.get_queryset().get(id=payment.id)
        return self.created(serializers.PaymentSerializer(payment).data)


class TopUpViewSet(mixins.ListModelMixin, GuardedWriteViewSet):
    """Prepaid money received from advertisers: finance records it; the paused offers of the
    advertiser resume within seconds."""

    serializer_class = serializers.TopUpSerializer
    filterset_fields = ["advertiser", "currency"]
    ordering_fields = ["id", "recorded_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TopUp.objects.none()
        return selectors.top_ups_for(user=self.request.user)

    @extend_schema(
        request=serializers.TopUpRecordSerializer, responses={201: serializers.TopUpSerializer}
    )
    def create(self, request: Request) -> Response:
        data = self.write_body(request, serializers.TopUpRecordSerializer)
        top_up = advertiser_top_up(
            advertiser_id=data["advertiser"],
            currency=data["currency"],
            amount=data["amount"],
            reference=data.get("reference", ""),
            recorded_by=request.user,
        )
        return self.created(serializers.TopUpSerializer(top_up).data)


class AdvertiserBalancesView(APIView):
    """Per advertiser and currency: invoiced, paid, outstanding; with funds control, the credit
    limit, money received, revenue booked, what is available and whether its offers pause."""

    @extend_schema(responses=serializers.AdvertiserBalanceSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = selectors.advertiser_balances_for(user=request.user)
        return Response(serializers.AdvertiserBalanceSerializer(rows, many=True).data)


class CreditLimitView(APIView):
    """Set an advertiser's credit limit in a currency (0: prepaid only), or null to stop
    pausing its offers for funds. Finance only."""

    @extend_schema(
        request=serializers.CreditLimitSerializer,
        responses=serializers.AdvertiserBalanceSerializer(many=True),
    )
    def post(self, request: Request) -> Response:
        # Readers only (the role check): partners and publishers 403.
        selectors.advertiser_balances_for(user=request.user)
        data = body_validated(request, serializers.CreditLimitSerializer)
        funds_limit_set(
            advertiser_id=data["advertiser"],
            currency=data["currency"],
            credit_limit=data["credit_limit"],
            set_by=request.user,
        )
        rows = [
            row
            for row in selectors.advertiser_balances_for(user=request.user)
            if row["advertiser_id"] == data["advertiser"]
        ]
        return Response(serializers.AdvertiserBalanceSerializer(rows, many=True).data)


class BudgetViewSet(mixins.ListModelMixin, GuardedWriteViewSet):
    """Revenue budgets per offer and day or month: finance and managers set them; the offer's
    advertiser reads them."""

    serializer_class = serializers.BudgetSerializer
    filterset_fields = ["offer", "period"]
    ordering_fields = ["id", "offer"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RevenueBudget.objects.none()
        return selectors.budgets_for(user=self.request.user)

    @extend_schema(
        request=serializers.BudgetSetSerializer,
        responses={200: serializers.BudgetSerializer, 204: None},
    )
    def create(self, request: Request) -> Response:
        data = self.write_body(request, serializers.BudgetSetSerializer)
        budget = revenue_budget_set(
            offer_id=data["offer"],
            period=data["period"],
            amount=data["amount"],
            set_by=request.user,
        )
        if budget is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(serializers.BudgetSerializer(budget).data)
