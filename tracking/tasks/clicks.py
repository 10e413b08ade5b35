"""Celery tasks of the click path (queue `clicks`), scheduled by beat (CELERY_BEAT_SCHEDULE).

Each is an adapter over a service and safe to run twice or concurrently: the ingester's consumer
group hands each entry to one reader and the insert is idempotent; partition upkeep and the
impression flush are idempotent too.
"""

import logging

from celery import shared_task

from tracking.clicks import impressions, ingest, partitions

logger = logging.getLogger(__name__)


# One run consumes for this long, waiting for clicks as they come (small, even batches); beat
# sends a run every second and the runs that find the worker busy expire unread (settings).
INGEST_RUN_SECONDS = 10.0
INGEST_WAIT_MS = 250


@shared_task(name="tracking.tasks.clicks.clicks_ingest", ignore_result=True)
def clicks_ingest() -> int:
    result = ingest.clicks_ingest(max_seconds=INGEST_RUN_SECONDS, wait_ms=INGEST_WAIT_MS)
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
