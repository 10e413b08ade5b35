"""The daily traffic booking's beat task (queue `default`): books every closed network day in
TRAFFIC_BOOKING_LOOKBACK_DAYS not booked yet. Idempotent: a booked day books nothing again."""

import logging
from datetime import UTC, datetime, timedelta

from celery import shared_task
from django.conf import settings

from core.network_time import network_today
from tracking.traffic_booking import traffic_day_book

logger = logging.getLogger(__name__)


@shared_task(name="tracking.tasks.traffic.traffic_days_book", ignore_result=True)
def traffic_days_book() -> int:
    if settings.TRAFFIC_BOOKING != "daily":
        return 0
    today = network_today(now=datetime.now(UTC))
    written = 0
    for back in range(settings.TRAFFIC_BOOKING_LOOKBACK_DAYS, 0, -1):
        day = today - timedelta(days=back)
        rows = traffic_day_book(day=day)
        if rows:
            logger.info("traffic day booked", extra={"day": day.isoformat(), "rows": rows})
        written += rows
    return written
