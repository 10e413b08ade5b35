"""Reading the sandbox: test links and the trace of one test click, as each role may see it.

A trace is put together from the rows each step already writes (the inbox row of a callback,
the conversion with its explanation and frozen terms, the postback deliveries and their log)
plus the two steps only the sandbox records (the redirect's decision, each test conversion sent
from the sandbox: SandboxTraceStep). Sides: a publisher reads its click, conversions (payout
side) and postbacks; an advertiser its callbacks and conversions (revenue side), never the
publisher's sub ids, macros or postbacks; managers everything. Anyone else, or another
publisher's or advertiser's click, gets "not found".
"""

from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Role, User
from accounts.selectors import user_role
from core.errors import NotFoundError
from core.money import money_round
from offers.models import Offer, TermsKind
from offers.terms import kind_uses_amount, kind_uses_percent
from tracking.callbacks.services import SENT_BY_HEADER
from tracking.clicks.ids import click_id_is_test
from tracking.clicks.lookup import click_find
from tracking.explanations import explanation_for_advertiser
from tracking.models import (
    CallbackInbox,
    Conversion,
    PostbackDelivery,
    SandboxLink,
    SandboxTraceStep,
)

MANAGER_SIDE = "manager"
PUBLISHER_SIDE = "publisher"
ADVERTISER_SIDE = "advertiser"


def sandbox_links_visible_to(*, user: User) -> QuerySet[SandboxLink]:
    role = user_role(user)
    links = SandboxLink.objects.select_related("offer")
    if role == Role.MANAGER:
        return links
    if role == Role.PUBLISHER and user.publisher_id is not None:
        return links.filter(publisher_id=user.publisher_id)
    if role == Role.ADVERTISER and user.advertiser_id is not None:
        return links.filter(offer__advertiser_id=user.advertiser_id)
    return links.none()


def _side(*, user: User, link: SandboxLink, advertiser_id: int) -> str | None:
    role = user_role(user)
    if role == Role.MANAGER:
        return MANAGER_SIDE
    if role == Role.PUBLISHER and user.publisher_id == link.publisher_id:
        return PUBLISHER_SIDE
    if role == Role.ADVERTISER and user.advertiser_id == advertiser_id is not None:
        return ADVERTISER_SIDE
    return None


def _link_of(click_id: str) -> SandboxLink | None:
    step = SandboxTraceStep.objects.filter(click_id=click_id).select_related("link").first()
    if step is not None:
        return step.link
    click = click_find(click_id=click_id)
    if click is None or click.link_id is None:
        return None
    return SandboxLink.objects.filter(id=click.link_id).first()


def sandbox_trace(*, user: User, click_id: str) -> dict[str, Any]:
    """The trace of one test click as `user` may read it. Raises NotFoundError otherwise."""
    click_id = click_id.strip().upper()
    link = _link_of(click_id) if click_id_is_test(click_id) else None
    advertiser_id = (
        Offer.objects.filter(id=link.offer_id).values_list("advertiser_id", flat=True).first()
        if link is not None
        else None
    )
    side = _side(user=user, link=link, advertiser_id=advertiser_id) if link else None
    if link is None or side is None:
        raise NotFoundError("not_found", "No test click with this id.")
    steps = list(SandboxTraceStep.objects.filter(click_id=click_id).order_by("id"))
    conversions = list(
        Conversion.all_objects.filter(click_id=click_id, is_test=True)
        .select_related("goal")
        .order_by("id")
    )
    trace: dict[str, Any] = {
        "click_id": click_id,
        "is_test": True,
        "side": side,
        "link": {"id": link.pk, "offer_id": link.offer_id},
    }
    if side != ADVERTISER_SIDE:
        trace["link"]["publisher_id"] = link.publisher_id
        trace["redirect"] = _redirect(steps)
        trace["click"] = _click(click_id)
    trace["sent_from_sandbox"] = [
        {"at": step.at, **{k: v for k, v in step.data.items() if k != "sent_by_user"}}
        for step in steps
        if step.step == SandboxTraceStep.Step.SEND
    ]
    if side != PUBLISHER_SIDE:
        trace["callbacks"] = [
            _callback(row) for row in CallbackInbox.objects.filter(click_id=click_id).order_by("id")
        ]
    trace["conversions"] = [_conversion(c, side=side) for c in conversions]
    if side != ADVERTISER_SIDE:
        trace["postbacks"] = _postbacks(conversions)
    return trace


def _redirect(steps: list[SandboxTraceStep]) -> dict[str, Any] | None:
    redirect = next((s for s in steps if s.step == SandboxTraceStep.Step.REDIRECT), None)
    return None if redirect is None else {"at": redirect.at, **redirect.data}


def _click(click_id: str) -> dict[str, Any] | None:
    click = click_find(click_id=click_id)
    if click is None:
        return None
    return {
        "created_at": click.created_at,
        "country": click.country,
        "device": click.device,
        "subs": [click.sub1, click.sub2, click.sub3, click.sub4, click.sub5],
        "source": click.source,
        "is_unique": click.is_unique,
        "is_bot": click.is_bot,
        "fallback_reason": click.fallback_reason,
    }


def _auth(row: CallbackInbox) -> str:
    if row.state == CallbackInbox.State.REJECTED_AUTH:
        return f"refused: {row.result}"
    headers = row.headers or {}
    if headers.get(SENT_BY_HEADER) == "network":
        return "sent by the network (sandbox)"
    if row.dialect == "pixel":
        return "none (image pixel)"
    how = "signature" if headers.get("X-Affnet-Signature") else "token"
    if row.auth_deferred:
        return f"{how}, checked at attribution (click not found at the door)"
    return f"{how}: ok"


def _callback(row: CallbackInbox) -> dict[str, Any]:
    shown = {k: v for k, v in (row.headers or {}).items() if not k.startswith("_")}
    return {
        "id": row.pk,
        "received_at": row.received_at,
        "dialect": row.dialect,
        "method": row.method,
        "path": row.path,
        "parameters": row.params,
        "headers": shown,
        "auth": _auth(row),
        "state": row.state,
        "result": row.result,
    }


def _arithmetic(*, terms: dict[str, Any], side: str, sale_amount: Decimal | None, currency: str):
    """sale amount x percent + flat, then the one rounding step (core.money.money_round)."""
    kind = terms.get(f"{side}_kind") or ""
    flat = Decimal(str(terms.get(f"{side}_amount") or "0"))
    percent = Decimal(str(terms.get(f"{side}_percent") or "0"))
    if kind == TermsKind.CPC:
        return {
            "kind": kind,
            "note": "paid per unique click, nothing per conversion",
            "rounded": "0",
        }
    parts, total = [], Decimal(0)
    if kind and kind_uses_percent(kind):
        share = (sale_amount or Decimal(0)) * percent / Decimal(100)
        parts.append(f"{sale_amount or 0} x {percent}% = {share}")
        total += share
    if kind and kind_uses_amount(kind):
        parts.append(f"flat {flat}")
        total += flat
    rounded = money_round(total, currency)
    return {
        "kind": kind or "not set",
        "steps": parts,
        "unrounded": str(total),
        "rounded": str(rounded),
        "rounding": f"half-up to the minor unit of {currency}",
    }


def _money(amount: Decimal, currency: str) -> str:
    return str(money_round(amount, currency))


def _checks_for_publisher(explanation: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The checks without the network's fraud evidence (only a rejection's reason code)."""
    shown = []
    for step in explanation or ():
        if not isinstance(step, dict):
            continue
        if step.get("check") == "fraud":
            if step.get("action") == "reject":
                shown.append({"check": "fraud", "ok": False, "reason_code": step["reason_code"]})
            continue
        shown.append({k: v for k, v in step.items() if k not in ("caps", "metrics")})
    return shown


def _conversion(conversion: Conversion, *, side: str) -> dict[str, Any]:
    terms = conversion.terms or {}
    shown: dict[str, Any] = {
        "id": conversion.pk,
        "is_test": conversion.is_test,
        "created_at": conversion.created_at,
        "goal": conversion.goal.ref,
        "status": conversion.status,
        "reason": conversion.reject_reason,
        "currency": conversion.currency,
        "sale_amount": None if conversion.sale_amount is None else str(conversion.sale_amount),
    }
    args = {"terms": terms, "sale_amount": conversion.sale_amount, "currency": conversion.currency}
    if side == ADVERTISER_SIDE:
        shown["checks"] = explanation_for_advertiser(conversion.explanation)
        shown["revenue"] = _money(conversion.revenue, conversion.currency)
        shown["revenue_arithmetic"] = _arithmetic(side="revenue", **args)
        return shown
    terms_source = {
        "source": terms.get("source", "goal"),
        "why": {
            "goal": "the goal's own terms",
            "offer_override": "a publisher override on the offer, in force at attribution",
            "goal_override": "a publisher override on the goal, in force at attribution",
        }.get(terms.get("source", "goal"), ""),
    }
    shown["terms"] = terms_source
    shown["payout"] = _money(conversion.payout, conversion.currency)
    shown["payout_arithmetic"] = _arithmetic(side="payout", **args)
    if side == PUBLISHER_SIDE:
        shown["checks"] = _checks_for_publisher(conversion.explanation)
        return shown
    shown["checks"] = conversion.explanation
    shown["fraud"] = conversion.fraud
    shown["terms"]["frozen"] = terms
    shown["revenue"] = _money(conversion.revenue, conversion.currency)
    shown["revenue_arithmetic"] = _arithmetic(side="revenue", **args)
    return shown


def _postbacks(conversions: list[Conversion]) -> list[dict[str, Any]]:
    deliveries = (
        PostbackDelivery.objects.filter(Q(conversion__in=[c.pk for c in conversions]))
        .prefetch_related("log")
        .order_by("id")
    )
    return [
        {
            "conversion_id": delivery.conversion_id,
            "event": delivery.event,
            "method": delivery.method,
            "url": delivery.url,
            "status": delivery.status,
            "next_attempt_at": delivery.next_attempt_at,
            "attempts": [
                {
                    "number": attempt.number,
                    "at": attempt.attempted_at,
                    "status_code": attempt.status_code,
                    "outcome": attempt.outcome,
                    "answer": attempt.response_excerpt,
                    "duration_ms": attempt.duration_ms,
                }
                for attempt in delivery.log.all()
            ],
        }
        for delivery in deliveries
    ]
