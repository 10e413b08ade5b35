"""Shapes of the payouts API. Amounts are strings with the currency's minor-unit digits."""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_shapes import MONEY_STRING, CurrencyField, NotZeroAmountField, StrictInputSerializer
from core.money import money_str
from payouts.models import (
    AdjustmentRequest,
    LedgerEntry,
    LineFailureRequest,
    PayoutBatch,
    PayoutBatchLine,
)


@extend_schema_field(MONEY_STRING)
class MoneyAmountField(serializers.Field):
    """An amount written as its currency writes it ("7.00" USD, "150" JPY), never re-rounded."""

    def __init__(self, *, currency_attr: str = "currency", **kwargs: Any) -> None:
        kwargs["read_only"] = True
        self.currency_attr = currency_attr
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> tuple[Decimal, str]:
        return super().get_attribute(instance), getattr(instance, self.currency_attr)

    def to_representation(self, value: tuple[Decimal, str]) -> str:
        amount, currency = value
        return money_str(amount, currency)


class PayoutBatchLineSerializer(serializers.ModelSerializer):
    amount = MoneyAmountField()

    class Meta:
        model = PayoutBatchLine
        fields = [
            "id",
            "publisher",
            "payee_name",
            "currency",
            "amount",
            "payout_method",
            "payout_details",
            "reference",
            "status",
            "failure_reason",
            "failed_at",
        ]
        read_only_fields = fields


class PayoutBatchSerializer(serializers.ModelSerializer):
    total = MoneyAmountField()

    class Meta:
        model = PayoutBatch
        fields = [
            "id",
            "currency",
            "cut_off",
            "status",
            "total",
            "line_count",
            "entry_count",
            "built_by",
            "built_at",
            "approved_by",
            "approved_at",
            "exported_by",
            "exported_at",
            "paid_by",
            "paid_at",
            "held",
            "approved_digest",
        ]
        read_only_fields = fields


class LineFailureRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = LineFailureRequest
        fields = ["id", "line", "reason", "state", "requested_by", "requested_at"]
        fields += ["decided_by", "decided_at"]
        read_only_fields = fields


class PayoutBatchDetailSerializer(PayoutBatchSerializer):
    """A batch with its lines, the digest an approval must name, who may not approve it
    (`authors`), and line failures asked for."""

    lines = PayoutBatchLineSerializer(many=True, read_only=True)
    digest = serializers.CharField(read_only=True)
    authors = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    failure_requests = LineFailureRequestSerializer(many=True, read_only=True)

    class Meta(PayoutBatchSerializer.Meta):
        fields = [
            *PayoutBatchSerializer.Meta.fields,
            "digest",
            "authors",
            "lines",
            "failure_requests",
        ]
        read_only_fields = fields


class BatchBuildSerializer(StrictInputSerializer):
    currency = CurrencyField()
    cut_off = serializers.DateTimeField(required=False)


class BatchRebuildSerializer(StrictInputSerializer):
    cut_off = serializers.DateTimeField(required=False)


class BatchApproveSerializer(StrictInputSerializer):
    # The digest of the lines the approver reviewed (the batch's `digest`); approval is
    # refused if any line changed since. `total`, if sent, is checked too.
    digest = serializers.CharField(max_length=64, required=False, default="")
    total = serializers.DecimalField(max_digits=18, decimal_places=6, required=False)


class LineFailSerializer(StrictInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class LedgerEntrySerializer(serializers.ModelSerializer):
    amount = MoneyAmountField()

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "publisher",
            "currency",
            "kind",
            "amount",
            "conversion",
            "offer_id",
            "batch_line",
            "reason",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class PublisherLedgerEntrySerializer(LedgerEntrySerializer):
    """A publisher's own view: no staff user ids."""

    class Meta(LedgerEntrySerializer.Meta):
        fields = [f for f in LedgerEntrySerializer.Meta.fields if f != "created_by"]
        read_only_fields = fields


class AdjustmentSerializer(StrictInputSerializer):
    publisher = serializers.IntegerField(min_value=1)
    currency = CurrencyField()
    amount = NotZeroAmountField(
        help_text=(
            "No more decimal places than the currency's minor unit (2 for most, 0 for "
            "JPY, 3 for BHD): more is refused (400 not_rounded), never rounded."
        ),
    )
    reason = serializers.CharField(max_length=2000)


class PendingAdjustmentSerializer(serializers.ModelSerializer):
    """An adjustment waiting for (or decided by) a second finance user."""

    amount = MoneyAmountField()

    class Meta:
        model = AdjustmentRequest
        fields = ["id", "publisher", "currency", "amount", "reason", "state", "requested_by"]
        fields += ["requested_at", "decided_by", "decided_at", "entry"]
        read_only_fields = fields


class PublisherLineSerializer(serializers.ModelSerializer):
    """A publisher's own line: amount, batch state and dates, not the finance team's notes."""

    amount = MoneyAmountField()
    batch_status = serializers.CharField(source="batch.status", read_only=True)
    paid_at = serializers.DateTimeField(source="batch.paid_at", read_only=True)

    class Meta:
        model = PayoutBatchLine
        fields = [
            "id",
            "batch",
            "batch_status",
            "currency",
            "amount",
            "payout_method",
            "reference",
            "status",
            "paid_at",
            "failed_at",
        ]
        read_only_fields = fields


class BalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    total = MoneyAmountField()
    eligible = MoneyAmountField()
    held = MoneyAmountField()
    in_batches = MoneyAmountField()
