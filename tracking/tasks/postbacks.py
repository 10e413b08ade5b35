"""Celery tasks of the `postbacks` queue: thin adapters over tracking.postbacks.services."""

from celery import shared_task
from django.db import transaction

from tracking.postbacks.services import (
    conversions_unnotified,
    deliveries_create,
    deliveries_due,
    delivery_attempt,
)

COUNTDOWN_MAX_SECONDS = 300


@shared_task(name="tracking.tasks.postbacks.postbacks_for_conversions")
def postbacks_for_conversions(*, conversion_ids: list[int], event: str | None = None) -> None:
    for delivery_id in deliveries_create(conversion_ids=conversion_ids, event=event):
        postback_deliver.delay(delivery_id)


@shared_task(name="tracking.tasks.postbacks.postback_deliver")
def postback_deliver(delivery_id: int) -> None:
    delay = delivery_attempt(delivery_id=delivery_id)
    if delay is not None and delay <= COUNTDOWN_MAX_SECONDS:
        transaction.on_commit(lambda: postback_deliver.apply_async((delivery_id,), countdown=delay))
    # Longer waits are left to the periodic sweep: a broker message held for hours would outlive
    # the Redis transport's visibility timeout and be delivered again and again.


@shared_task(name="tracking.tasks.postbacks.postbacks_sweep")
def postbacks_sweep() -> int:
    """Periodic: owe what a lost message never owed, then send what is due and has no message
    in flight (lost, or a crashed worker)."""
    deliveries_create(conversion_ids=conversions_unnotified())
    due = deliveries_due()
    for delivery_id in due:
        postback_deliver.delay(delivery_id)
    return len(due)
