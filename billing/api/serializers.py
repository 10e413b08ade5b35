"""Shapes of the billing API. Amounts are strings with the currency's minor-unit digits."""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.models import Invoice, InvoiceLine, Payment, RevenueBudget, TopUp
from billing.selectors import invoice_state
from core.api_shapes import (
    MONEY_STRING,
    CurrencyField,
    NotNegativeAmountField,
    PositiveAmountField,
    StrictInputSerializer,
)
from core.money import money_str

# The schema cannot tie an amount's decimal places to the body's currency; the API does.
MINOR_UNIT_EXACT = (
    "No more decimal places than the currency's minor unit (2 for most, 0 for JPY, 3 for BHD): "
    "more is refused (400), never rounded."
)
MINOR_UNIT_ROUNDED = (
    "Rounded half-up to the currency's minor unit (2 places for most, 0 for JPY, 3 for BHD)."
)


@extend_schema_field(MONEY_STRING)
class MoneyField(serializers.Field):
    """An amount written as its currency writes it ("7.00" USD, "150" JPY), never re-rounded."""

    def __init__(self, *, currency_attr: str = "currency", **kwargs: Any) -> None:
        kwargs["read_only"] = True
        self.currency_attr = currency_attr
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> tuple[Decimal | None, str]:
        return super().get_attribute(instance), _get(instance, self.currency_attr)

    def to_representation(self, value: tuple[Decimal | None, str]) -> str | None:
        amount, currency = value
        return None if amount is None else money_str(amount, currency)


def _get(instance: Any, name: str) -> Any:
    node = instance
    for part in name.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


class InvoiceLineSerializer(serializers.ModelSerializer):
    amount = MoneyField(currency_attr="invoice.currency")

    class Meta:
        model = InvoiceLine
        fields = ["id", "kind", "offer", "goal", "description", "quantity", "amount"]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="number_display", read_only=True)
    advertiser_name = serializers.CharField(source="advertiser.name", read_only=True)
    state = serializers.SerializerMethodField()
    charges = MoneyField()
    credits = MoneyField()
    total = MoneyField()
    paid = serializers.SerializerMethodField()
    outstanding = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "advertiser",
            "advertiser_name",
            "currency",
            "period_start",
            "period_end",
            "status",
            "state",
            "charges",
            "credits",
            "total",
            "paid",
            "outstanding",
            "built_at",
            "issued_at",
        ]
        read_only_fields = fields

    def get_state(self, invoice: Invoice) -> str:
        return invoice_state(invoice)

    def _paid(self, invoice: Invoice) -> Decimal:
        return getattr(invoice, "paid", None) or Decimal(0)

    @extend_schema_field(MONEY_STRING)
    def get_paid(self, invoice: Invoice) -> str:
        return money_str(self._paid(invoice), invoice.currency)

    @extend_schema_field(MONEY_STRING)
    def get_outstanding(self, invoice: Invoice) -> str:
        owed = invoice.total - self._paid(invoice) if invoice.status == "issued" else Decimal(0)
        return money_str(owed, invoice.currency)


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "lines"]
        read_only_fields = fields


@extend_schema_field({"type": "string", "format": "date", "pattern": r"^2[0-9]{3}-"})
class BillingDayField(serializers.DateField):
    """A day between 2000 and 2999, as billing.services.invoices refuses others (400 invalid);
    the schema says so with a pattern beside `format: date`."""


class InvoiceBuildSerializer(StrictInputSerializer):
    advertiser = serializers.IntegerField(min_value=1)
    period_start = BillingDayField(help_text="First day billed (a month by default).")
    period_end = BillingDayField(
        required=False,
        help_text=(
            "First day not billed, after period_start (400 otherwise); "
            "default: a month after period_start."
        ),
    )


class PaymentSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    invoice_number = serializers.CharField(source="invoice.number_display", read_only=True)
    advertiser = serializers.IntegerField(source="invoice.advertiser_id", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "advertiser",
            "currency",
            "amount",
            "source",
            "received_on",
            "reference",
            "recorded_at",
        ]
        read_only_fields = fields


class PaymentRecordSerializer(StrictInputSerializer):
    invoice = serializers.IntegerField(min_value=1)
    amount = PositiveAmountField(help_text=f"In the invoice's currency. {MINOR_UNIT_EXACT}")
    received_on = serializers.DateField()
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True)
    source = serializers.ChoiceField(choices=Payment.Source.choices, required=False)


class TopUpSerializer(serializers.ModelSerializer):
    amount = MoneyField()

    class Meta:
        model = TopUp
        fields = ["id", "advertiser", "currency", "amount", "reference", "recorded_at"]
        read_only_fields = fields


class TopUpRecordSerializer(StrictInputSerializer):
    advertiser = serializers.IntegerField(min_value=1)
    currency = CurrencyField()
    amount = PositiveAmountField(help_text=MINOR_UNIT_EXACT)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CreditLimitSerializer(StrictInputSerializer):
    advertiser = serializers.IntegerField(min_value=1)
    currency = CurrencyField()
    credit_limit = NotNegativeAmountField(
        allow_null=True,
        help_text=f"0: prepaid only; null: no funds control. {MINOR_UNIT_ROUNDED}",
    )


class AdvertiserBalanceSerializer(serializers.Serializer):
    advertiser_id = serializers.IntegerField()
    currency = serializers.CharField()
    invoiced = MoneyField()
    paid = MoneyField()
    outstanding = MoneyField()
    funds_control = serializers.BooleanField()
    credit_limit = MoneyField(allow_null=True)
    received = MoneyField(allow_null=True)
    booked = MoneyField(allow_null=True)
    available = MoneyField(allow_null=True)
    paused = serializers.BooleanField()


class BudgetSerializer(serializers.ModelSerializer):
    amount = MoneyField(currency_attr="offer.currency")
    currency = serializers.CharField(source="offer.currency", read_only=True)

    class Meta:
        model = RevenueBudget
        fields = ["id", "offer", "period", "amount", "currency", "updated_at"]
        read_only_fields = fields


class BudgetSetSerializer(StrictInputSerializer):
    offer = serializers.IntegerField(min_value=1)
    period = serializers.ChoiceField(choices=RevenueBudget.Period.choices)
    amount = PositiveAmountField(
        allow_null=True,
        help_text=f"In the offer's currency; null removes it. {MINOR_UNIT_ROUNDED}",
    )
