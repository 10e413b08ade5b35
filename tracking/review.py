"""The review queue: conversions a fraud rule held, with their evidence, decided in bulk.

Held money is no money yet: a pending conversion has no ledger earning (attribution books one
only for approved conversions), so payout batches, which pay ledger balances, cannot include it.
Approving books the earning (tracking/attribution/actions.py); rejecting books nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from core.errors import DomainError
from fraud.counters import device_key
from tracking.attribution.actions import conversion_act
from tracking.attribution.fraud import click_facts
from tracking.models import Click, Conversion, ConversionHistory

HELD = {"status": Conversion.Status.PENDING, "reject_reason": Conversion.HoldReason.FRAUD_REVIEW}
SIBLINGS_SHOWN = 20
DECISIONS = {"approve": ConversionHistory.Action.APPROVE, "reject": ConversionHistory.Action.REJECT}


def review_queue() -> QuerySet[Conversion]:
    return Conversion.objects.filter(**HELD).order_by("id")


def _click_of(conversion: Conversion) -> Click | None:
    # Bounded by the click's time: the clicks table is partitioned by day.
    at = conversion.click_created_at
    return Click.objects.filter(
        click_id=conversion.click_id, created_at__gte=at, created_at__lte=at
    ).first()


def review_evidence(*, conversion: Conversion) -> dict[str, Any]:
    """The click, and the conversions of other clicks from the same address (or device: the
    same address and user agent) within a day of it."""
    click = _click_of(conversion)
    evidence: dict[str, Any] = {"click": None, "siblings": []}
    if click is None:
        return evidence
    evidence["click"] = {
        "click_id": click.click_id,
        "created_at": click.created_at,
        "ip": click.ip,
        "user_agent": click.user_agent,
        "country": click.country,
        "device": click.device,
        "referrer": click.referrer,
        "sub1": click.sub1,
        "source": click.source,
        "is_bot": click.is_bot,
        "signals": click.signals,
    }
    if not click.ip:
        return evidence
    around = (click.created_at - timedelta(days=1), click.created_at + timedelta(days=1))
    same_address = dict(
        Click.objects.filter(ip=click.ip, created_at__range=around)
        .exclude(click_id=click.click_id)
        .values_list("click_id", "user_agent")[:1000]
    )
    device = device_key(click_facts(click))
    siblings = (
        Conversion.objects.filter(click_id__in=list(same_address))
        .order_by("-id")
        .values("id", "click_id", "offer_id", "publisher_id", "status", "reject_reason")[
            :SIBLINGS_SHOWN
        ]
    )
    for sibling in siblings:
        agent = same_address.get(sibling["click_id"], "")
        same_device = device_key(click_facts(Click(ip=click.ip, user_agent=agent))) == device
        sibling["same"] = "device" if same_device else "address"
        evidence["siblings"].append(sibling)
    return evidence


def review_decide(*, ids: list[int], decision: str, reason: str, actor: Any) -> list[Conversion]:
    """Approve or reject the held conversions `ids`, all or none: each through conversion_act,
    which asks the money policy and books the ledger. A conversion no longer in the queue (decided
    meanwhile) fails the whole request with 409, so nothing is decided twice."""
    if decision not in DECISIONS:
        raise DomainError.for_field("decision", "invalid_decision", "approve or reject.")
    if not reason.strip():
        raise DomainError.for_field("reason", "reason_required", "Say why.")
    wanted = sorted(set(ids))
    if not wanted:
        raise DomainError.for_field("ids", "required", "Name at least one conversion.")
    with transaction.atomic():
        held = set(review_queue().filter(id__in=wanted).values_list("id", flat=True))
        missing = [pk for pk in wanted if pk not in held]
        if missing:
            raise DomainError(
                "not_in_queue",
                f"Not held for review (decided already, or never held): {missing[:20]}.",
                status_code=409,
            )
        return [
            conversion_act(conversion_id=pk, action=DECISIONS[decision], actor=actor, reason=reason)
            for pk in wanted
        ]
