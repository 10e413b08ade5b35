"""Celery adapters for payouts (queue `payouts`): take ids or plain values, call a service."""

import logging
from datetime import datetime

from celery import shared_task

from core.errors import DomainError
from payouts.models import PayoutBatch
from payouts.schedule import payout_currencies_due, payout_scheduled_cut_off
from payouts.services import payees, payout_batch_build

log = logging.getLogger(__name__)


@shared_task(name="payouts.tasks.scheduled_batches_build")
def scheduled_batches_build() -> None:
    """The schedule's tick (PAYOUT_SCHEDULE): one draft build per currency with unpaid entries,
    all with the same cut-off (the start of the period), each its own task."""
    cut_off = payout_scheduled_cut_off()
    for currency in payout_currencies_due():
        scheduled_batch_build.delay(currency, cut_off.isoformat())


@shared_task(name="payouts.tasks.scheduled_batch_build")
def scheduled_batch_build(currency: str, cut_off: str) -> int | None:
    """Build one scheduled draft. A replay is a no-op: scheduled batches are unique per currency
    and cut-off (a constraint), and "nothing to pay" is an answer, not a failure."""
    when = datetime.fromisoformat(cut_off)
    existing = PayoutBatch.objects.filter(currency=currency, cut_off=when, built_by=None).first()
    if existing is not None:
        return existing.id
    try:
        batch = payout_batch_build(currency=currency, cut_off=when, built_by=None)
    except DomainError as refused:
        log.info("scheduled payout batch %s %s: %s", currency, cut_off, refused.message)
        return None
    log.info("scheduled payout batch %s built: %s %s", batch.id, batch.total, currency)
    return batch.id


@shared_task(name="payouts.tasks.tax_form_expiry_notices_send")
def tax_form_expiry_notices_send() -> int:
    """Daily: tell publishers whose tax form ends within TAX_FORM_EXPIRY_NOTICE_DAYS."""
    return payees.tax_form_expiry_notices_send()
