"""Celery tasks of the click path (queue `clicks`), scheduled by beat (CELERY_BEAT_SCHEDULE).

Each is an adapter over a service and safe to run twice or concurrently: the ingester's consumer
group hands each entry to one reader and the insert is idempotent; partition upkeep and the
impression flush are idempotent too.
"""

import logging

from celery import shared_task

from tracking.clicks import impressions, ingest, partitions

logger = logging.getLogger(__name__)


@shared_task(name="tracking.tasks.clicks.clicks_ingest", ignore_result=True)
def clicks_ingest() -> int:
    # Runs every second; a run drains for at most a few seconds so runs do not pile up.
    result = ingest.clicks_ingest(max_seconds=5.0)
    if result.read:
        logger.info("clicks ingested", extra={"read": result.read, "inserted": result.inserted})
    return result.inserted


@shared_task(name="tracking.tasks.clicks.click_partitions_maintain", ignore_result=True)
def click_partitions_maintain() -> None:
    report = partitions.click_partitions_maintain()
    if report.created or report.dropped:
        logger.info(
            "click partitions", extra={"created": report.created, "dropped": report.dropped}
        )


@shared_task(name="tracking.tasks.clicks.impressions_flush", ignore_result=True)
def impressions_flush() -> int:
    return impressions.impressions_flush()
