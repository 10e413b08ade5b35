"""Deciding what one callback is worth, against a batch's context. No writes here.

Outcomes (the inbox row's `result`, machine-readable):
- no conversion: unknown_click, auth codes (bad_token, ...), advertiser_mismatch,
  offer_mismatch, unknown_goal, pixel_disabled (the goal does not enable its pixel),
  pixel_domain_not_allowed (the pixel's Origin, else Referer, host is not one of the goal's
  pixel domains or a subdomain of one), terms_not_set, duplicate_txn, duplicate_conversion,
  invalid;
- a rejected conversion, kept for the record: advertiser_rejected, bot_click, offer_inactive,
  publisher_inactive, fallback_click (the click was sent to the fallback and the offer does not
  let such clicks convert), window_expired, too_fast, too_slow, currency_mismatch, cap_reached;
- a conversion: approved, or pending with its hold reason in `reject_reason`
  (Conversion.HoldReason), the first that applies of: payout_not_set, fx_rate_missing (the
  publisher converts its earnings into a currency no loaded rate reaches, payouts/fx.py),
  amount_above_limit (sale amount above the goal's max_sale_amount, else MAX_SALE_AMOUNT),
  pixel (every pixel conversion), advertiser_approval (the goal's approval is manual: the only
  hold the advertiser may release), advertiser_pending (the advertiser's callback said pending);
  a full cap with action hold makes it cap_reached whatever it was.
- the fraud verdict (fraud/rules.py through tracking/attribution/fraud.py) comes after those:
  a rule with action reject rejects with the signal's reason code (bot_click for the bot user
  agent, else fraud_<signal>), one with action hold makes it pending fraud_review before any
  other hold; its signals and the rules that fired are the explanation's `fraud` entry.
Every check is recorded in the conversion's explanation, so a hold shows all that applied, not
only the first.

Times (window, min and max click-to-conversion) run from the click to the callback's arrival
(the inbox row's received_at), not to when a worker got to it: a backlog never expires a
conversion.
"""

import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from affiliates.models import Publisher
from core.money import money_round
from fraud.models import FraudAction
from fraud.rules import Verdict
from offers.models import Cap, Goal, Offer, TermsKind
from tracking.attribution.context import BatchContext, CapState
from tracking.attribution.fraud import conversion_judge
from tracking.callbacks.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, callback_auth_check
from tracking.callbacks.fields import (
    PIXEL_CLICK_SOURCE,
    CallbackFields,
    pixel_host,
    pixel_host_allowed,
)
from tracking.callbacks.selectors import advertiser_auth_for_offer
from tracking.clicks.ids import click_id_is_test
from tracking.models import CallbackInbox, Click, Conversion
from tracking.result_codes import AuthRefusal, CallbackResult, RejectReason


@dataclass
class Decision:
    row: CallbackInbox
    result: str
    conversion: Conversion | None = None
    waiting: bool = False
    caps_taken: list[CapState] = field(default_factory=list)


def _check(explanation: list[dict[str, Any]], name: str, ok: bool, detail: str = "") -> bool:
    explanation.append({"check": name, "ok": ok, **({"detail": detail} if detail else {})})
    return ok


def goal_resolve(*, goals: list[Goal], wanted: str) -> Goal | None:
    """The goal a callback names by ref or by id; the offer's default goal when it names none."""
    if not wanted:
        return next((goal for goal in goals if goal.is_default), None)
    for goal in goals:
        if goal.ref == wanted:
            return goal
    if wanted.isascii() and wanted.isdigit() and len(wanted) <= 18:
        return next((goal for goal in goals if goal.pk == int(wanted)), None)
    return None


def deferred_auth_reason(*, row: CallbackInbox, offer: Offer) -> AuthRefusal | None:
    """Check the credentials of a callback that arrived before its click could be found.

    Freshness of a signature is judged at the time it was received, not now.
    """
    auth = advertiser_auth_for_offer(offer_id=offer.pk)
    if auth is None:
        return AuthRefusal.UNKNOWN_OFFER
    if not auth.active:
        return AuthRefusal.ADVERTISER_INACTIVE
    return callback_auth_check(
        secret=auth.secret,
        secret_hash=auth.secret_hash,
        ip_allowlist=auth.ip_allowlist,
        digest=row.headers.get("_token_sha256", ""),
        signature=row.headers.get(SIGNATURE_HEADER, ""),
        timestamp=row.headers.get(TIMESTAMP_HEADER, ""),
        canonical=row.headers.get("_canonical", ""),
        remote_ip=row.remote_ip,
        now=row.received_at.timestamp() if row.received_at else time.time(),
    )


def callback_decide(
    *,
    row: CallbackInbox,
    fields: CallbackFields,
    ctx: BatchContext,
    wait_until: datetime,
) -> Decision:
    click = ctx.clicks.get(fields.click_id)
    if click is None:
        if ctx.now < wait_until:
            return Decision(row=row, result="", waiting=True)
        return Decision(row=row, result=CallbackResult.UNKNOWN_CLICK)
    offer = ctx.offers.get(click.offer_id)
    if offer is None:
        return Decision(row=row, result=CallbackResult.UNKNOWN_CLICK)
    if row.advertiser_id is None:
        # A pixel, or a callback whose click was not findable at the door: the advertiser is
        # the click's, so it can read the row and its result (tracking/api/callbacks.py).
        row.advertiser_id = offer.advertiser_id
    if row.auth_deferred and row.dialect != "pixel":
        reason = deferred_auth_reason(row=row, offer=offer)
        if reason is not None:
            return Decision(row=row, result=reason)
    elif row.advertiser_id is not None and row.advertiser_id != offer.advertiser_id:
        return Decision(row=row, result=CallbackResult.ADVERTISER_MISMATCH)
    if fields.offer_id is not None and fields.offer_id != offer.pk:
        return Decision(row=row, result=CallbackResult.OFFER_MISMATCH)

    goal = goal_resolve(goals=ctx.goals.get(offer.pk, []), wanted=fields.goal)
    if goal is None:
        return Decision(row=row, result=CallbackResult.UNKNOWN_GOAL)
    if row.dialect == "pixel":
        refusal = pixel_refusal(row=row, goal=goal)
        if refusal is not None:
            return Decision(row=row, result=refusal)
    is_test = click_id_is_test(click.click_id)
    if fields.txn_id and (offer.advertiser_id, fields.txn_id, is_test) in ctx.seen_txn:
        return Decision(row=row, result=CallbackResult.DUPLICATE_TXN)
    if not goal.allow_multiple and (click.click_id, goal.pk) in ctx.seen_click_goal:
        return Decision(row=row, result=CallbackResult.DUPLICATE_CONVERSION)
    terms = ctx.terms_for(goal=goal, publisher_id=click.publisher_id)
    if terms is None:
        return Decision(row=row, result=CallbackResult.TERMS_NOT_SET)

    explanation: list[dict[str, Any]] = [
        {"check": "terms", "ok": True, "source": terms.source, "override_id": terms.override_id}
    ]
    revenue, payout = terms.compute(sale_amount=fields.amount)
    # CPC terms are paid per unique click (tracking/attribution/cpc.py), not per conversion.
    if terms.revenue_kind == TermsKind.CPC:
        revenue = money_round(Decimal(0), offer.currency)
    if terms.payout_kind == TermsKind.CPC:
        payout = money_round(Decimal(0), offer.currency)

    reason = _first_rejection(
        explanation=explanation, row=row, fields=fields, click=click, offer=offer, ctx=ctx
    )
    status = Conversion.Status.APPROVED
    if reason is not None:
        status = Conversion.Status.REJECTED
    else:
        reason = _hold_reason(
            explanation=explanation,
            row=row,
            fields=fields,
            goal=goal,
            payout_set=bool(terms.payout_kind),
            fx_missing=ctx.fx.missing(
                publisher_id=click.publisher_id, currency=offer.currency, on=ctx.now.date()
            )
            if payout > 0
            else None,
        )
        if reason is not None:
            status = Conversion.Status.PENDING
    verdict = None
    if ctx.fraud is not None:
        verdict = conversion_judge(
            fraud=ctx.fraud,
            row=row,
            click=click,
            advertiser_id=offer.advertiser_id,
            goal_id=goal.pk,
            now=ctx.now,
        )
        explanation.append(verdict.explanation())
        status, reason = _fraud_apply(verdict=verdict, status=status, reason=reason)
    caps_taken: list[CapState] = []
    if status != Conversion.Status.REJECTED:
        status, cap_reason, caps_taken = _caps_apply(
            explanation=explanation,
            states=ctx.caps.get(offer.pk, []),
            publisher_id=click.publisher_id,
            goal_id=goal.pk,
            payout=payout,
            status=status,
            count=not is_test,
        )
        reason = cap_reason or reason

    conversion = Conversion(
        inbox_id=row.pk,
        click_id=click.click_id,
        click_created_at=click.created_at,
        offer_id=offer.pk,
        goal_id=goal.pk,
        publisher_id=click.publisher_id,
        advertiser_id=offer.advertiser_id,
        status=status,
        reject_reason=reason or "",
        currency=offer.currency,
        sale_amount=fields.amount,
        revenue=revenue,
        payout=payout,
        advertiser_txn_id=fields.txn_id or None,
        once_per_click=not goal.allow_multiple,
        sub1=click.sub1,
        sub2=click.sub2,
        sub3=click.sub3,
        sub4=click.sub4,
        sub5=click.sub5,
        source=click.source,
        terms=ctx.terms_snapshot(terms),
        explanation=explanation,
        fraud=verdict.as_dict() if verdict is not None else {},
        is_test=is_test,
    )
    if status != Conversion.Status.REJECTED:
        if fields.txn_id:
            ctx.seen_txn.add((offer.advertiser_id, fields.txn_id, is_test))
        if not goal.allow_multiple:
            ctx.seen_click_goal.add((click.click_id, goal.pk))
    result = reason if status == Conversion.Status.REJECTED else status
    return Decision(row=row, result=result or status, conversion=conversion, caps_taken=caps_taken)


def _fraud_apply(*, verdict: Verdict, status: str, reason: str | None) -> tuple[str, str | None]:
    """A fraud reject rejects what was not rejected already; a hold is a network hold, so it
    comes before every other hold reason (a manager decides it in the review queue)."""
    if status == Conversion.Status.REJECTED:
        return status, reason
    if verdict.action == FraudAction.REJECT:
        return Conversion.Status.REJECTED, verdict.reason_code
    if verdict.action == FraudAction.HOLD:
        return Conversion.Status.PENDING, Conversion.HoldReason.FRAUD_REVIEW
    return status, reason


def pixel_refusal(*, row: CallbackInbox, goal: Goal) -> CallbackResult | None:
    """Why a pixel callback counts for nothing (None: it may convert, held `pixel`)."""
    if not goal.pixel_enabled:
        return CallbackResult.PIXEL_DISABLED
    if not pixel_host_allowed(host=pixel_host(row.headers), domains=goal.pixel_domains or []):
        return CallbackResult.PIXEL_DOMAIN_NOT_ALLOWED
    return None


def max_sale_amount(goal: Goal) -> Decimal:
    """The largest sale amount that converts without a manager's look: the goal's, else the
    network's."""
    if goal.max_sale_amount is not None:
        return goal.max_sale_amount
    return settings.MAX_SALE_AMOUNT


def _hold_reason(
    *,
    explanation: list[dict[str, Any]],
    row: CallbackInbox,
    fields: CallbackFields,
    goal: Goal,
    payout_set: bool = True,
    fx_missing: str | None = None,
) -> str | None:
    """Why this otherwise acceptable conversion must wait (None: it is approved).

    Every hold that applies is recorded; the first in this order is the reason. Network holds
    come before the advertiser's, so an advertiser never releases what the network held.
    """
    holds: list[str] = []
    if not payout_set:
        # Revenue without a payout (offers/terms.py): the network has not priced it yet.
        _check(explanation, "payout", False, "the network has not set this goal's payout yet")
        holds.append(Conversion.HoldReason.PAYOUT_NOT_SET)
    if fx_missing is not None:
        # The publisher is paid in another currency and no loaded rate converts this one.
        _check(explanation, "fx_rate", False, f"no exchange rate into {fx_missing} loaded")
        holds.append(Conversion.HoldReason.FX_RATE_MISSING)
    if fields.amount is not None:
        limit = max_sale_amount(goal)
        if not _check(
            explanation,
            "amount_limit",
            fields.amount <= limit,
            f"sale amount {fields.amount}, max {limit}",
        ):
            holds.append(Conversion.HoldReason.AMOUNT_ABOVE_LIMIT)
    if row.dialect == "pixel":
        source = row.headers.get(PIXEL_CLICK_SOURCE, "cookie")
        _check(
            explanation,
            "pixel",
            False,
            f"pixel conversions wait for review (click id from the {source})",
        )
        holds.append(Conversion.HoldReason.PIXEL)
    if goal.approval == Goal.Approval.MANUAL:
        _check(explanation, "approval", True, "held for the advertiser's approval")
        holds.append(Conversion.HoldReason.ADVERTISER_APPROVAL)
    if fields.status == "pending":
        _check(explanation, "approval", True, "the advertiser said pending")
        holds.append(Conversion.HoldReason.ADVERTISER_PENDING)
    return str(holds[0]) if holds else None


def _first_rejection(
    *,
    explanation: list[dict[str, Any]],
    row: CallbackInbox,
    fields: CallbackFields,
    click: Click,
    offer: Offer,
    ctx: BatchContext,
) -> str | None:
    """Run every rule, recording each; the first failing one is the reason."""
    # From the click to the callback's arrival: the worker may get to it much later. Never
    # negative (clocks of two nodes may disagree by a little).
    arrived = row.received_at or ctx.now
    age = max(0.0, (arrived - click.created_at).total_seconds())
    rules = [
        (
            "advertiser_status",
            fields.status != "rejected",
            RejectReason.ADVERTISER_REJECTED,
            fields.status,
        ),
        # Recorded here; the rejection is the fraud rule bot_user_agent's (code bot_click).
        ("bot", not click.is_bot, None, "judged by the fraud rule bot_user_agent"),
        (
            "offer_active",
            offer.status == Offer.Status.ACTIVE,
            RejectReason.OFFER_INACTIVE,
            offer.status,
        ),
        (
            "publisher_active",
            ctx.publisher_status.get(click.publisher_id) == Publisher.Status.ACTIVE,
            RejectReason.PUBLISHER_INACTIVE,
            str(ctx.publisher_status.get(click.publisher_id)),
        ),
        (
            "fallback",
            not click.fallback_reason or offer.fallback_clicks_convert,
            RejectReason.FALLBACK_CLICK,
            click.fallback_reason,
        ),
        (
            "window",
            age <= offer.attribution_window_seconds,
            RejectReason.WINDOW_EXPIRED,
            f"{int(age)}s of {offer.attribution_window_seconds}s",
        ),
        (
            "min_time",
            age >= offer.min_click_to_conversion_seconds,
            RejectReason.TOO_FAST,
            f"{int(age)}s, min {offer.min_click_to_conversion_seconds}s",
        ),
        (
            "max_time",
            offer.max_click_to_conversion_seconds is None
            or age <= offer.max_click_to_conversion_seconds,
            RejectReason.TOO_SLOW,
            f"{int(age)}s, max {offer.max_click_to_conversion_seconds}s",
        ),
        (
            "currency",
            not fields.currency or fields.currency == offer.currency,
            RejectReason.CURRENCY_MISMATCH,
            f"{fields.currency or offer.currency} vs {offer.currency}",
        ),
    ]
    reason = None
    for name, ok, code, detail in rules:
        _check(explanation, name, ok, detail)
        if not ok and reason is None and code is not None:
            reason = code
    return reason


def _caps_apply(
    *,
    explanation: list[dict[str, Any]],
    states: list[CapState],
    publisher_id: int,
    payout: Decimal,
    status: str,
    count: bool = True,
    goal_id: int | None = None,
) -> tuple[str, str | None, list[CapState]]:
    """Check the caps; take from them unless `count` is False (a test conversion is checked
    against them as a real one would be, but never uses them up)."""
    applicable = [state for state in states if state.applies_to(publisher_id, goal_id)]
    for state in applicable:
        if state.would_exceed(payout):
            _check(
                explanation,
                "cap",
                False,
                f"cap {state.cap.pk} ({state.cap.metric} {state.cap.limit}/{state.cap.period}) "
                f"full, action {state.cap.action}",
            )
            if state.cap.action == Cap.Action.HOLD:
                return Conversion.Status.PENDING, Conversion.HoldReason.CAP_REACHED, []
            return Conversion.Status.REJECTED, RejectReason.CAP_REACHED, []
    if not count:
        if applicable:
            detail = ", ".join(str(s.cap.pk) for s in applicable) + " (test: not counted)"
            _check(explanation, "cap", True, detail)
        return status, None, []
    for state in applicable:
        state.take(payout)
    if applicable:
        _check(explanation, "cap", True, ", ".join(str(s.cap.pk) for s in applicable))
    return status, None, applicable
