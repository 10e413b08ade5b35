"""Owing, sending and re-sending publisher postbacks.

A conversion event (approved, pending, rejected, reversed) owes one delivery per matching
template of its publisher: the most specific scope wins (goal templates over offer templates
over global ones), and a template fires only for the events it lists (none listed: approved).
Each delivery is tried up to POSTBACK_MAX_ATTEMPTS times with exponential backoff and jitter
(base POSTBACK_RETRY_BASE_SECONDS, times 3 per attempt: about 18 hours over 8 attempts); every
attempt, refusals included, is logged for the publisher to read.
"""

import random
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.notifications import notify, recipients
from affiliates.models import PostbackTemplate
from core.macros import POSTBACK_MACRO_ALIASES, macros_fill
from tracking.models import Conversion, PostbackAttempt, PostbackDelivery
from tracking.postbacks.calls import target_call
from tracking.postbacks.targets import UnsafeTargetError, target_resolve

CLAIM_SECONDS = 60


def max_attempts() -> int:
    return int(settings.POSTBACK_MAX_ATTEMPTS)


def retry_delay_seconds(*, attempts: int) -> float:
    """Backoff after the `attempts`-th failure: base * 3^(attempts-1), +-20% jitter."""
    base = float(settings.POSTBACK_RETRY_BASE_SECONDS)
    return base * 3 ** (attempts - 1) * random.uniform(0.8, 1.2)


def templates_for(*, conversion: Conversion, event: str) -> list[PostbackTemplate]:
    templates = list(
        PostbackTemplate.objects.filter(publisher_id=conversion.publisher_id, is_active=True)
        .filter(
            Q(scope=PostbackTemplate.Scope.GLOBAL)
            | Q(scope=PostbackTemplate.Scope.OFFER, offer_id=conversion.offer_id)
            | Q(scope=PostbackTemplate.Scope.GOAL, goal_id=conversion.goal_id)
        )
        .order_by("id")
    )
    templates = [t for t in templates if event in (t.events or [PostbackTemplate.Event.APPROVED])]
    for scope in (PostbackTemplate.Scope.GOAL, PostbackTemplate.Scope.OFFER):
        specific = [t for t in templates if t.scope == scope]
        if specific:
            return specific
    return templates


def postback_values(*, conversion: Conversion, event: str) -> dict[str, str]:
    return {
        "click_id": conversion.click_id,
        "sub1": conversion.sub1,
        "sub2": conversion.sub2,
        "sub3": conversion.sub3,
        "sub4": conversion.sub4,
        "sub5": conversion.sub5,
        "source": conversion.source,
        "offer_id": str(conversion.offer_id),
        "goal": conversion.goal.ref,
        "payout": str(conversion.payout.normalize() if conversion.payout else "0"),
        "currency": conversion.currency,
        "conversion_id": str(conversion.pk),
        "status": event,
        "sale_amount": "" if conversion.sale_amount is None else str(conversion.sale_amount),
        "event_time": timezone.now().replace(microsecond=0).isoformat(),
        # 1 for a conversion of a sandbox link's click, so a publisher can tell it from real.
        "is_test": "1" if conversion.is_test else "0",
    }


def deliveries_create(*, conversion_ids: list[int], event: str | None = None) -> list[int]:
    """Owe the postbacks of these conversions' current status (or `event`). Idempotent.

    A conversion's deliveries are owed together (one transaction): a worker killed half-way
    owes none of them, and the sweep (conversions_unnotified) then owes them all."""
    created: list[int] = []
    # Test conversions too: their postbacks fire as in production, with {is_test} = 1.
    conversions = Conversion.all_objects.filter(id__in=conversion_ids).select_related("goal")
    for conversion in conversions:
        what = event or conversion.status
        with transaction.atomic():
            for template in templates_for(conversion=conversion, event=what):
                url = macros_fill(
                    template.url,
                    postback_values(conversion=conversion, event=what),
                    POSTBACK_MACRO_ALIASES,
                )
                try:
                    with transaction.atomic():
                        delivery = PostbackDelivery.objects.create(
                            conversion=conversion,
                            template=template,
                            publisher_id=conversion.publisher_id,
                            event=what,
                            method=template.method,
                            url=url,
                            next_attempt_at=timezone.now(),
                        )
                except IntegrityError:
                    continue  # owed already
                created.append(delivery.pk)
    return created


def delivery_key(delivery_id: int) -> str:
    """The Idempotency-Key of every attempt of one delivery (one conversion event, one
    template): delivery is at least once, a publisher keeping the key counts it once."""
    return f"affnet-postback-{delivery_id}"


def delivery_attempt(*, delivery_id: int) -> float | None:
    """Make one attempt if the delivery is due and nobody else is on it.

    Returns the seconds until the next attempt when one is scheduled, else None. The claim is a
    conditional update, so no row lock is held during the remote call.
    """
    now = timezone.now()
    claimed = (
        PostbackDelivery.objects.filter(id=delivery_id, status=PostbackDelivery.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    )
    if not claimed:
        return None
    delivery = PostbackDelivery.objects.get(id=delivery_id)
    started = timezone.now()
    address = None
    try:
        target = target_resolve(delivery.url)
    except UnsafeTargetError as exc:
        outcome, status_code, excerpt, duration = f"refused_{exc.reason}", None, "", 0
    else:
        address = target.address
        result = target_call(
            target=target, method=delivery.method, idempotency_key=delivery_key(delivery.pk)
        )
        outcome, status_code = result.outcome, result.status_code
        excerpt, duration = result.excerpt, result.duration_ms

    # `attempts` counts this round (a manual re-send starts a short new one); the log numbers
    # every attempt ever made.
    round_attempts = delivery.attempts + 1
    number = PostbackAttempt.objects.filter(delivery_id=delivery_id).count() + 1
    delay = None
    if outcome == "ok":
        status = PostbackDelivery.Status.SENT
    elif outcome.startswith("refused_"):
        status = PostbackDelivery.Status.REFUSED
    elif round_attempts >= max_attempts():
        status = PostbackDelivery.Status.FAILED
    else:
        status = PostbackDelivery.Status.PENDING
        delay = retry_delay_seconds(attempts=round_attempts)
    with transaction.atomic():
        PostbackAttempt.objects.create(
            delivery=delivery,
            number=number,
            attempted_at=started,
            duration_ms=duration,
            status_code=status_code,
            outcome=outcome,
            response_excerpt=excerpt,
            connected_ip=address,
        )
        PostbackDelivery.objects.filter(id=delivery_id).update(
            attempts=round_attempts,
            status=status,
            claimed_until=None,
            next_attempt_at=None if delay is None else started + timedelta(seconds=delay),
            updated_at=timezone.now(),
        )
    if status == PostbackDelivery.Status.FAILED:
        publisher_id = PostbackDelivery.objects.filter(id=delivery_id).values_list(
            "publisher_id", flat=True
        )[0]
        notify(
            users=recipients(publisher_id=publisher_id),
            kind="postback_failing",
            text=f"A postback to {delivery.url.split('?')[0][:200]} failed {round_attempts} "
            f"times in a row (last: {outcome}); it will not be retried.",
            url="/publisher/postbacks/",
        )
    return delay


def delivery_resend(*, delivery: PostbackDelivery) -> PostbackDelivery:
    """Make the delivery due now, whatever its state: one more attempt (or round of them)."""
    PostbackDelivery.objects.filter(id=delivery.pk).update(
        status=PostbackDelivery.Status.PENDING,
        next_attempt_at=timezone.now(),
        claimed_until=None,
        attempts=min(delivery.attempts, max_attempts() - 1),
        updated_at=timezone.now(),
    )
    delivery.refresh_from_db()
    return delivery


def deliveries_due(*, limit: int = 500) -> list[int]:
    now = timezone.now()
    return list(
        PostbackDelivery.objects.filter(
            status=PostbackDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )


def conversions_unnotified(*, settle_seconds: int = 30, window_hours: int = 24) -> list[int]:
    """Approved conversions of the last `window_hours` that owe an approved postback but have no
    delivery: the message that was to owe it was lost (a worker SIGKILLed holding it, or Redis
    down when it was sent after the commit). The sweep owes them; deliveries_create is
    idempotent, so one owed meanwhile is not owed twice. Other events (reversed, ...) are owed
    by their own message only."""
    now = timezone.now()
    publishers = PostbackTemplate.objects.filter(is_active=True).filter(
        Q(events=[]) | Q(events__contains=[PostbackTemplate.Event.APPROVED])
    )
    return list(
        Conversion.all_objects.filter(
            status=Conversion.Status.APPROVED,
            created_at__gte=now - timedelta(hours=window_hours),
            created_at__lte=now - timedelta(seconds=settle_seconds),
            publisher_id__in=publishers.values("publisher_id"),
        )
        .exclude(
            Exists(
                PostbackDelivery.objects.filter(
                    conversion_id=OuterRef("pk"), event=PostbackTemplate.Event.APPROVED
                )
            )
        )
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
