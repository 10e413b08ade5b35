"""Click retention: after CLICK_RETENTION_DAYS a click keeps no address or user agent that could
single out a visitor. Its address is truncated (IPv4 to its /24, IPv6 to its /48) and its user
agent reduced to browser family, OS family and device kind (tracking/clicks/agents.py).

What reports and the fraud rules need survives: reports read rollups and the clicks' offer,
publisher, sub ids, country, device and signals, none of which change; a /24 (or /48) is the
smallest routed prefix, so the hosting-network lookup of a late conversion's click still finds
its network, and clicks of one visitor still share an address and a reduced user agent.

The work walks clicks in (created_at, id) order behind a one-row mark, in bounded batches, each
its own transaction that moves the mark: a crash loses at most one batch, which the next run
does again. Each batch reads one UTC day at most, so on PostgreSQL it touches one daily partition
(tracking/clicks/partitions.py) and its index; a day without clicks is skipped with one index
probe. Whole days are dropped later, after CLICK_DROP_DAYS.
"""

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from tracking.clicks.agents import user_agent_reduce
from tracking.models import Click, ClickRetentionMark

IPV4_PREFIX = 24
IPV6_PREFIX = 48


@dataclass
class RetentionReport:
    batches: int = 0
    scanned: int = 0
    changed: int = 0
    caught_up: bool = False


def address_truncate(address: str | None) -> str | None:
    """The first address of its /24 (IPv4) or /48 (IPv6) network; None stays None."""
    if not address:
        return address
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def _day_end(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).date() + timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=UTC)


def _batch(*, mark: ClickRetentionMark, cutoff: datetime, size: int) -> tuple[int, int, bool]:
    """One batch behind the locked mark: (scanned, changed, caught_up)."""
    start = mark.created_at
    if start is None:
        start = Click.objects.filter(created_at__lt=cutoff).aggregate(m=Min("created_at"))["m"]
        if start is None:
            return 0, 0, True
        mark.created_at, mark.click_pk = start, 0
    if start >= cutoff:
        return 0, 0, True
    upper = min(_day_end(start), cutoff)
    rows = list(
        Click.objects.filter(created_at__gte=start, created_at__lt=upper)
        .filter(Q(created_at__gt=start) | Q(id__gt=mark.click_pk))
        .order_by("created_at", "id")
        .values_list("id", "created_at", "ip", "user_agent")[:size]
    )
    if not rows:
        if upper >= cutoff:
            mark.created_at, mark.click_pk = cutoff, 0
            return 0, 0, True
        # Nothing left in this day: jump to the next day that has clicks (one index probe).
        following = Click.objects.filter(created_at__gte=upper, created_at__lt=cutoff)
        next_at = following.aggregate(m=Min("created_at"))["m"]
        mark.created_at, mark.click_pk = (next_at, 0) if next_at else (cutoff, 0)
        return 0, 0, next_at is None
    changed = []
    for pk, created_at, ip, agent in rows:
        new_ip, new_agent = address_truncate(ip), user_agent_reduce(agent)
        if (new_ip, new_agent) != (ip, agent):
            changed.append(Click(id=pk, created_at=created_at, ip=new_ip, user_agent=new_agent))
    if changed:
        # The day's bounds keep the update on one partition.
        Click.objects.filter(created_at__gte=start, created_at__lt=upper).bulk_update(
            changed, ["ip", "user_agent"], batch_size=1000
        )
    mark.created_at, mark.click_pk = rows[-1][1], rows[-1][0]
    return len(rows), len(changed), False


def click_retention_apply(
    *, now: datetime | None = None, batch_size: int | None = None, max_batches: int | None = None
) -> RetentionReport:
    """Truncate addresses and reduce user agents of clicks older than CLICK_RETENTION_DAYS, at
    most max_batches batches of batch_size clicks. Safe to run twice or concurrently: a run that
    finds the mark locked by another returns at once."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CLICK_RETENTION_DAYS)
    size = batch_size or settings.CLICK_RETENTION_BATCH
    report = RetentionReport()
    ClickRetentionMark.objects.get_or_create(pk=1)
    for _ in range(max_batches or settings.CLICK_RETENTION_MAX_BATCHES):
        with transaction.atomic():
            mark = ClickRetentionMark.objects.select_for_update(skip_locked=True).filter(pk=1)
            locked = mark.first()
            if locked is None:
                return report  # another run holds it
            scanned, changed, caught_up = _batch(mark=locked, cutoff=cutoff, size=size)
            locked.save(update_fields=["created_at", "click_pk", "updated_at"])
        report.batches += 1
        report.scanned += scanned
        report.changed += changed
        if caught_up:
            report.caught_up = True
            break
    return report
