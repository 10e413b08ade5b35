"""Manual actions on a conversion: approve, reject, reverse, adjust.

Each locks the conversion, checks the transition, asks the money policy (accounts/policy.py)
whether the acting user may do it to this conversion, and writes a history row and the ledger
entries the change implies, in one transaction: approving earns the payout, reversing an
approved conversion takes it back (a negative entry), adjusting an approved one books the
difference. Ledger idempotency keys carry the history row's id, so each action moves money
exactly once.

The policy is asked here, inside the service and against the locked row, rather than in the
views: the API, the portal pages and anything added later all pass through it, and the facts it
reads (the hold reason, the advertiser) cannot change between the check and the write.

A manual approval respects caps: approving a conversion that no cap counts yet (rejected, or
held because a cap was full) into a full cap is refused unless a manager sends
`override_caps`, and the override is written to the history and the explanation.
A manual adjustment keeps payout at or below revenue unless the offer allows otherwise.
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.policy import Action as PolicyAction
from accounts.policy import policy_require
from core.errors import DomainError, NotFoundError
from core.money import money_round
from offers.models import Cap, Offer
from offers.terms import terms_compute
from payouts.ledger import ledger_book_conversion_change
from payouts.models import LedgerEntry
from tracking.attribution.context import CAP_COUNTED
from tracking.caps import cap_period_end, cap_period_start
from tracking.hooks import after_conversion_changed
from tracking.models import Conversion, ConversionHistory
from tracking.result_codes import RejectReason
from tracking.tasks.postbacks import postbacks_for_conversions

Status = Conversion.Status
Action = ConversionHistory.Action

POLICY_ACTION = {
    Action.APPROVE: PolicyAction.CONVERSION_APPROVE,
    Action.REJECT: PolicyAction.CONVERSION_REJECT,
    Action.REVERSE: PolicyAction.CONVERSION_REVERSE,
    Action.ADJUST: PolicyAction.CONVERSION_ADJUST,
}

ALLOWED_FROM = {
    Action.APPROVE: {Status.PENDING, Status.REJECTED},
    Action.REJECT: {Status.PENDING},
    Action.REVERSE: {Status.APPROVED},
    Action.ADJUST: {Status.PENDING, Status.APPROVED},
}
TARGET = {Action.APPROVE: Status.APPROVED, Action.REJECT: Status.REJECTED}


def _locked(conversion_id: int) -> Conversion:
    # Test conversions too: an advertiser rehearses approving in the sandbox (no money moves).
    conversion = Conversion.all_objects.select_for_update().filter(id=conversion_id).first()
    if conversion is None:
        raise NotFoundError("not_found", "No such conversion.")
    return conversion


def _amount(value: str | Decimal | None, currency: str, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise DomainError.for_field(field, "invalid_amount", "A non-negative decimal amount.")
    return money_round(amount, currency)


def conversion_policy_facts(*, conversion: Conversion, reason: str) -> dict[str, Any]:
    """What accounts/policy.py reads to decide an action on `conversion` (pages ask it too)."""
    return {
        "advertiser_id": conversion.advertiser_id,
        "hold_reason": conversion.reject_reason if conversion.status == Status.PENDING else "",
        "reason": reason,
        "within_reversal_window": conversion_within_reversal_window(conversion=conversion),
    }


def conversion_within_reversal_window(*, conversion: Conversion) -> bool:
    """Younger than its offer's reversal window (offers.Offer.reversal_window_days)."""
    days = Offer.objects.filter(pk=conversion.offer_id).values_list(
        "reversal_window_days", flat=True
    )
    window = next(iter(days), 0)
    return timezone.now() - conversion.created_at < timedelta(days=window)


def conversion_act(
    *,
    conversion_id: int,
    action: str,
    actor: Any,
    reason: str = "",
    payout: str | Decimal | None = None,
    revenue: str | Decimal | None = None,
    override_caps: bool = False,
) -> Conversion:
    """Apply one manual action as `actor` (a User).

    Raises ForbiddenError (403) when the policy refuses it, DomainError (409) for a transition
    that is not allowed or a full cap, (400) for a missing reason or bad amounts.
    """
    if action not in ALLOWED_FROM:
        raise DomainError.for_field("action", "invalid_action", f"Unknown action {action!r}.")
    try:
        with transaction.atomic():
            return _act(
                conversion_id=conversion_id,
                action=action,
                actor=actor,
                reason=reason,
                payout=payout,
                revenue=revenue,
                override_caps=override_caps,
            )
    except IntegrityError as exc:
        # Approving a rejected duplicate would give two conversions one txn id (or click+goal).
        raise DomainError(
            "conflict",
            "Another conversion already holds this transaction id or click and goal.",
            status_code=409,
        ) from exc


def _act(*, conversion_id, action, actor, reason, payout, revenue, override_caps) -> Conversion:
    caps = _caps_locked(conversion_id) if action == Action.APPROVE else []
    conversion = _locked(conversion_id)
    previous = conversion.status
    if previous not in ALLOWED_FROM[action]:
        raise DomainError(
            "invalid_transition", f"Cannot {action} a {previous} conversion.", status_code=409
        )
    if action in (Action.REVERSE, Action.REJECT) and not reason.strip():
        done = "rejected" if action == Action.REJECT else "reversed"
        raise DomainError.for_field("reason", "reason_required", f"Say why it is {done}.")
    policy_require(
        action=POLICY_ACTION[action],
        user=actor,
        facts=conversion_policy_facts(conversion=conversion, reason=reason),
    )
    old_payout, old_revenue = conversion.payout, conversion.revenue
    if action == Action.APPROVE:
        overridden = _caps_full(conversion=conversion, caps=caps)
        if overridden:
            if not override_caps:
                raise DomainError(
                    "cap_reached",
                    "A cap of this offer is full for this period; approving would pass it. "
                    "A manager may send override_caps=true to approve past it.",
                    status_code=409,
                )
            note = f"cap overridden by {actor.get_username()}"
            reason = f"{reason} ({note})" if reason.strip() else note
            conversion.explanation = [
                *(conversion.explanation or []),
                {
                    "check": "cap_override",
                    "ok": True,
                    "detail": note,
                    "caps": [cap.pk for cap in overridden],
                    "metrics": sorted({cap.metric for cap in overridden}),
                },
            ]
    if action == Action.ADJUST:
        new_payout = _amount(payout, conversion.currency, "payout")
        new_revenue = _amount(revenue, conversion.currency, "revenue")
        if new_payout is None and new_revenue is None:
            raise DomainError.for_field("payout", "amount_required", "Give payout or revenue.")
        conversion.payout = old_payout if new_payout is None else new_payout
        conversion.revenue = old_revenue if new_revenue is None else new_revenue
        _payout_not_above_revenue(conversion=conversion)
    elif action == Action.REVERSE:
        conversion.status = Status.REVERSED
        conversion.reject_reason = RejectReason.REVERSED
    else:
        conversion.status = TARGET[action]
        conversion.reject_reason = RejectReason.MANUAL if action == Action.REJECT else ""
    conversion.save()
    history = ConversionHistory.objects.create(
        conversion=conversion,
        action=action,
        from_status=previous,
        to_status=conversion.status,
        old_payout=old_payout,
        new_payout=conversion.payout,
        old_revenue=old_revenue,
        new_revenue=conversion.revenue,
        reason=reason,
        actor_id=actor.pk,
    )
    entry = _ledger_change(conversion=conversion, previous=previous, old_payout=old_payout)
    if entry is not None and not conversion.is_test:
        kind, amount = entry
        ledger_book_conversion_change(
            conversion=conversion,
            kind=kind,
            amount=amount,
            history_id=history.pk,
            reason=f"{action}: {reason}".strip(": "),
            created_by_id=actor.pk,
        )
    after_conversion_changed(conversion=conversion, previous_status=previous)
    if conversion.status != previous:
        _notify_after_commit(conversion_id=conversion.pk, event=conversion.status)
    return conversion


def conversion_sale_lower(
    *, conversion_id: int, sale_amount: str | Decimal, actor: Any, reason: str
) -> Conversion:
    """Lower a pending or approved conversion's sale amount (the advertiser's monthly
    validation: an order partly returned) and recompute revenue and payout from the terms
    frozen at attribution, never above what they were. An approved conversion books the
    payout difference in the ledger. Raising the amount is refused: that would be new money,
    which only a manager's adjustment gives."""
    with transaction.atomic():
        conversion = _locked(conversion_id)
        if conversion.status not in (Status.PENDING, Status.APPROVED):
            raise DomainError(
                "invalid_transition",
                f"Cannot correct the sale amount of a {conversion.status} conversion.",
                status_code=409,
            )
        new_sale = _amount(sale_amount, conversion.currency, "sale_amount")
        if new_sale is None:
            raise DomainError.for_field("sale_amount", "amount_required", "Give a sale amount.")
        if conversion.sale_amount is None or new_sale >= conversion.sale_amount:
            raise DomainError.for_field(
                "sale_amount",
                "sale_amount_not_lower",
                f"A corrected sale amount only lowers it (now {conversion.sale_amount}).",
            )
        if not reason.strip():
            raise DomainError.for_field("reason", "reason_required", "Say why it is lowered.")
        policy_require(
            action=PolicyAction.CONVERSION_SALE_LOWER,
            user=actor,
            facts=conversion_policy_facts(conversion=conversion, reason=reason),
        )
        revenue, payout = conversion_amounts_for_sale(conversion=conversion, sale_amount=new_sale)
        old_payout, old_revenue = conversion.payout, conversion.revenue
        conversion.sale_amount = new_sale
        conversion.revenue, conversion.payout = revenue, payout
        conversion.save()
        history = ConversionHistory.objects.create(
            conversion=conversion,
            action=Action.ADJUST,
            from_status=conversion.status,
            to_status=conversion.status,
            old_payout=old_payout,
            new_payout=payout,
            old_revenue=old_revenue,
            new_revenue=revenue,
            reason=f"sale amount lowered to {new_sale}: {reason}",
            actor_id=actor.pk,
        )
        entry = _ledger_change(
            conversion=conversion, previous=conversion.status, old_payout=old_payout
        )
        if entry is not None:
            kind, amount = entry
            ledger_book_conversion_change(
                conversion=conversion,
                kind=kind,
                amount=amount,
                history_id=history.pk,
                reason=f"sale lowered: {reason}",
                created_by_id=actor.pk,
            )
        after_conversion_changed(conversion=conversion, previous_status=conversion.status)
        return conversion


def conversion_amounts_for_sale(
    *, conversion: Conversion, sale_amount: Decimal
) -> tuple[Decimal, Decimal]:
    """(revenue, payout) of `conversion` had its sale been `sale_amount`, by its frozen terms;
    never above the current figures (a flat part does not grow by lowering the sale)."""
    terms = conversion.terms or {}
    if not terms.get("revenue_kind") and not terms.get("payout_kind"):
        return conversion.revenue, conversion.payout
    revenue, payout = terms_compute(
        revenue_kind=terms.get("revenue_kind") or "",
        revenue_amount=Decimal(terms.get("revenue_amount") or 0),
        revenue_percent=Decimal(terms.get("revenue_percent") or 0),
        payout_kind=terms.get("payout_kind") or "",
        payout_amount=Decimal(terms.get("payout_amount") or 0),
        payout_percent=Decimal(terms.get("payout_percent") or 0),
        sale_amount=sale_amount,
        currency=conversion.currency,
    )
    return min(revenue, conversion.revenue), min(payout, conversion.payout)


def _payout_not_above_revenue(*, conversion: Conversion) -> None:
    if conversion.payout <= conversion.revenue:
        return
    if Offer.objects.filter(pk=conversion.offer_id, allow_payout_above_revenue=True).exists():
        return
    # Only managers adjust (the policy), so naming both figures tells nobody a secret.
    raise DomainError.for_field(
        "payout",
        "payout_above_revenue",
        f"Payout {conversion.payout} is above revenue {conversion.revenue} (allowed only when "
        "the offer sets allow_payout_above_revenue).",
    )


def _caps_locked(conversion_id: int) -> list[Cap]:
    """Lock the caps of the conversion's offer before the conversion itself: attribution takes
    caps first and then writes conversions, so the same order here cannot deadlock with it."""
    offer_id = Conversion.objects.filter(id=conversion_id).values_list("offer_id", flat=True)
    return list(
        Cap.objects.select_for_update()
        .filter(offer_id__in=offer_id, counts=Cap.Counts.CONVERSIONS)
        .order_by("id")
    )


def _caps_full(*, conversion: Conversion, caps: list[Cap]) -> list[Cap]:
    """The caps that approving `conversion` would pass, in the period it was created in.

    A conversion already counted by the caps (pending for review, not held by a full cap)
    changes no cap by being approved; only rejected ones and those held `cap_reached` add.
    """
    counted = (
        conversion.status == Status.PENDING
        and conversion.reject_reason != Conversion.HoldReason.CAP_REACHED
    )
    if counted:
        return []
    full = []
    for cap in caps:
        if cap.publisher_id is not None and cap.publisher_id != conversion.publisher_id:
            continue
        if cap.goal_id is not None and cap.goal_id != conversion.goal_id:
            continue
        used = Conversion.objects.filter(CAP_COUNTED, offer_id=cap.offer_id).exclude(
            pk=conversion.pk
        )
        if cap.goal_id is not None:
            used = used.filter(goal_id=cap.goal_id)
        if cap.publisher_id is not None:
            used = used.filter(publisher_id=cap.publisher_id)
        start = cap_period_start(period=cap.period, now=conversion.created_at)
        if start is not None:
            end = cap_period_end(period=cap.period, start=start)
            used = used.filter(created_at__gte=start, created_at__lt=end)
        totals = used.aggregate(count=Count("id"), payout=Sum("payout"))
        if cap.metric == Cap.Metric.PAYOUT:
            passes = (totals["payout"] or Decimal(0)) + conversion.payout > cap.limit
        else:
            passes = totals["count"] + 1 > cap.limit
        if passes:
            full.append(cap)
    return full


def _ledger_change(
    *, conversion: Conversion, previous: str, old_payout: Decimal
) -> tuple[str, Decimal] | None:
    if conversion.status == Status.APPROVED and previous != Status.APPROVED:
        return (LedgerEntry.Kind.EARNING, conversion.payout) if conversion.payout else None
    if conversion.status == Status.REVERSED:
        return (LedgerEntry.Kind.REVERSAL, -old_payout) if old_payout else None
    if conversion.status == Status.APPROVED and conversion.payout != old_payout:
        return LedgerEntry.Kind.ADJUSTMENT, conversion.payout - old_payout
    return None


def _notify_after_commit(*, conversion_id: int, event: str) -> None:
    def run() -> None:
        postbacks_for_conversions.delay(conversion_ids=[conversion_id], event=event)

    transaction.on_commit(run)
