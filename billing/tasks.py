"""Billing's scheduled work: a thin adapter over billing.services.funds."""

from celery import shared_task

from billing.services.funds import billing_holds_refresh


@shared_task(name="billing.tasks.billing_holds_refresh", ignore_result=True)
def billing_holds_refresh_task() -> None:
    """Hold or resume offers whose advertiser's funds or whose budget changed (idempotent)."""
    billing_holds_refresh()
