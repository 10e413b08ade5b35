"""Money received from advertisers: payments against issued invoices, and prepaid top-ups.

Both are rows appended, never changed (the database refuses an update). Each lifts the
advertiser's funds, so its offers' holds are recomputed once the row is committed.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from accounts.policy import Action, policy_require
from billing.models import FundsLimit, Invoice, Payment, TopUp
from billing.services.funds import billing_holds_refresh_after_commit
from core.errors import DomainError
from core.money import currency_is_known, money_round
from offers.models import Advertiser


def _amount(amount: Decimal, currency: str) -> Decimal:
    if not amount.is_finite() or amount <= 0:
        raise DomainError.for_field("amount", "invalid", "The amount must be positive.")
    if money_round(amount, currency) != amount:
        raise DomainError.for_field(
            "amount", "invalid", f"The amount has more digits than {currency}'s minor unit."
        )
    return amount


def invoice_payment_record(
    *,
    invoice_id: int,
    amount: Decimal,
    received_on: date,
    recorded_by: Any,
    reference: str = "",
    source: str = Payment.Source.TRANSFER,
) -> Payment:
    """Record money received against an issued invoice, never more than it still owes."""
    policy_require(action=Action.INVOICE_PAYMENT_RECORD, user=recorded_by)
    with transaction.atomic():
        # The invoice row is locked (not changed) so two payments cannot both fit the balance.
        invoice = Invoice.objects.select_for_update().filter(id=invoice_id).first()
        if invoice is None:
            # An id from the body, not the path: a 400 naming the field, as for any reference.
            raise DomainError.for_field("invoice", "does_not_exist", f"No invoice {invoice_id}.")
        if invoice.status != Invoice.Status.ISSUED:
            raise DomainError("not_issued", "Payments go against issued invoices.", status_code=409)
        amount = _amount(amount, invoice.currency)
        paid = Payment.objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"] or 0
        if paid + amount > invoice.total:
            raise DomainError.for_field(
                "amount",
                "overpaid",
                f"The invoice owes {invoice.total - paid:.2f} {invoice.currency}; "
                "record a top-up for money paid in advance.",
            )
        payment = Payment.objects.create(
            invoice=invoice,
            currency=invoice.currency,
            amount=amount,
            source=source,
            received_on=received_on,
            reference=reference,
            recorded_by=recorded_by,
        )
    billing_holds_refresh_after_commit()
    return payment


def advertiser_top_up(
    *, advertiser_id: int, currency: str, amount: Decimal, recorded_by: Any, reference: str = ""
) -> TopUp:
    """Record money an advertiser paid in advance; its paused offers resume within seconds."""
    policy_require(action=Action.ADVERTISER_TOP_UP, user=recorded_by)
    currency = currency.upper()
    if not currency_is_known(currency):
        raise DomainError.for_field("currency", "invalid", f"Unknown currency {currency!r}.")
    amount = _amount(amount, currency)
    if not Advertiser.objects.filter(id=advertiser_id).exists():
        raise DomainError.for_field(
            "advertiser", "does_not_exist", f"No advertiser {advertiser_id}."
        )
    with transaction.atomic():
        top_up = TopUp.objects.create(
            advertiser_id=advertiser_id,
            currency=currency,
            amount=amount,
            reference=reference,
            recorded_by=recorded_by,
        )
        billing_holds_refresh_after_commit()
    return top_up


def funds_limit_set(
    *, advertiser_id: int, currency: str, credit_limit: Decimal | None, set_by: Any
) -> FundsLimit | None:
    """Turn funds control on (credit_limit 0: prepaid only) or off (None) for a currency."""
    policy_require(action=Action.ADVERTISER_CREDIT_LIMIT_SET, user=set_by)
    currency = currency.upper()
    if not currency_is_known(currency):
        raise DomainError.for_field("currency", "invalid", f"Unknown currency {currency!r}.")
    if not Advertiser.objects.filter(id=advertiser_id).exists():
        raise DomainError.for_field(
            "advertiser", "does_not_exist", f"No advertiser {advertiser_id}."
        )
    with transaction.atomic():
        if credit_limit is None:
            FundsLimit.objects.filter(advertiser_id=advertiser_id, currency=currency).delete()
            row = None
        else:
            if not credit_limit.is_finite() or credit_limit < 0:
                raise DomainError.for_field(
                    "credit_limit", "invalid", "The credit limit is zero or more."
                )
            row, _ = FundsLimit.objects.update_or_create(
                advertiser_id=advertiser_id,
                currency=currency,
                defaults={
                    "credit_limit": money_round(credit_limit, currency),
                    "updated_by": set_by,
                },
            )
        billing_holds_refresh_after_commit()
    return row
