"""Explain this payout: why a conversion or a ledger entry is the amount it is, step by step.

One read over what tracking, offers and payouts wrote, in words and numbers: the click, the
callback, the terms in force and where they came from, the arithmetic (sale amount x percent +
flat, rounded once to the currency's minor unit, core.money.money_round), the checks the
conversion passed (caps, fraud rules), its status history with who and why, and every ledger
entry it moved with the batch line and payment that settled it.

Each reader sees one side (accounts.policy PAYOUT_EXPLAIN decides who may ask):
- finance and managers see everything, the fraud evidence and the raw callback included;
- a publisher sees the payout side of its own conversions and entries: never the revenue, the
  raw callback (it may carry the advertiser's customer data) or the fraud evidence;
- an advertiser sees the revenue side of its own conversions: never a payout, an override or a
  payout cap (tracking.explanations drops them), and no ledger entry (the ledger is payouts).
A row outside the reader's scope is a 404, exactly as in the conversions API.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from accounts.models import Role, User
from accounts.policy import Action, policy_require
from accounts.selectors import user_role
from core.errors import ForbiddenError, NotFoundError
from core.money import money_quantum, money_round
from offers.models import PublisherOverride
from offers.terms import kind_uses_amount, kind_uses_percent
from payouts.models import AdjustmentRequest, LedgerEntry, PayoutBatchLine, PayoutLineEntry
from payouts.selectors import payout_batches_for
from tracking.explanation_words import explanation_in_words, reason_in_words
from tracking.explanations import explanation_for_advertiser
from tracking.models import CallbackInbox, Click, Conversion, ConversionHistory, TrackingLink

ALL = "all"  # finance and managers
PAYOUT = "payout"  # the publisher
REVENUE = "revenue"  # the advertiser

KIND_WORDS = {
    "cpa_flat": "a flat amount per conversion",
    "revshare": "a share of the sale amount",
    "cpa_plus_revshare": "a flat amount plus a share of the sale amount",
    "cpc": "an amount per unique click, paid per day after the fraud, repeat and cap filters,"
    " not per conversion",
    "cpm": "an amount per thousand counted impressions, paid per day up to the caps,"
    " not per conversion",
}
SOURCE_WORDS = {
    "goal": "the goal's own terms",
    "offer_override": "the publisher's override for every goal of the offer",
    "goal_override": "the publisher's override for this goal",
}
ENTRY_WORDS = {
    "earning": "Earned",
    "reversal": "Taken back (reversal)",
    "adjustment": "Adjusted",
    "payment": "Paid out",
    "payment_failure": "Payment failed: owed again",
}


def explain_side(*, user: User) -> str:
    role = user_role(user)
    if role in (Role.MANAGER, Role.FINANCE):
        return ALL
    if role == Role.PUBLISHER:
        return PAYOUT
    if role == Role.ADVERTISER:
        return REVENUE
    raise ForbiddenError("forbidden", "Explanations are for partners, finance and managers.")


def _conversions_for(*, user: User, side: str):
    conversions = Conversion.objects.select_related("offer", "goal", "publisher")
    if side == ALL:
        return conversions
    if side == PAYOUT:
        return conversions.filter(publisher_id=user.publisher_id)
    return conversions.filter(advertiser_id=user.advertiser_id)


def _money(amount: Decimal | None, currency: str) -> str | None:
    return None if amount is None else str(money_round(Decimal(amount), currency))


def _who(user: User | None, side: str) -> str:
    """Staff read the person; partners learn only in which capacity someone acted."""
    if user is None:
        return "the network (automatically)"
    role = "a manager" if user.is_manager else f"a {user.role} user"
    if side == ALL:
        return f"{user.get_username()} ({role.removeprefix('a ').removeprefix('an ')})"
    return role


def _when(at: datetime | None, otherwise: str) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC" if at is not None else otherwise


def _plain(value: Decimal) -> str:
    """A figure without the trailing zeros of stored precision (10.000000 -> 10)."""
    return f"{value.normalize():f}"


def arithmetic_explain(
    *, kind: str, amount: Decimal, percent: Decimal, sale_amount: Decimal | None, currency: str
) -> dict[str, Any]:
    """The figure one side of the terms gives: its parts, the sum before rounding, the rounding
    step, and the result, as terms_compute makes it (offers/terms.py)."""
    parts: list[str] = []
    exact = Decimal(0)
    if kind == "cpc":
        parts.append("CPC terms pay per unique click, so the conversion itself earns 0")
    if kind == "cpm":
        parts.append("CPM terms pay per thousand impressions, so the conversion itself earns 0")
    if kind_uses_amount(kind) and kind not in ("cpc", "cpm"):
        exact += amount
        parts.append(f"flat {_plain(amount)} {currency}")
    if kind_uses_percent(kind):
        sale = sale_amount or Decimal(0)
        share = sale * percent / Decimal(100)
        exact += share
        parts.append(f"{_plain(sale)} x {_plain(percent)}% = {_plain(share)} {currency}")
    rounded = money_round(exact, currency)
    quantum = money_quantum(currency)
    return {
        "kind": kind,
        "flat": _plain(amount) if kind_uses_amount(kind) else None,
        "percent": _plain(percent) if kind_uses_percent(kind) else None,
        "sale_amount": None if sale_amount is None else _plain(sale_amount),
        "exact": _plain(exact),
        "rounding": f"half-up to {quantum} {currency} (its minor unit), once",
        "result": str(rounded),
        "says": (" + ".join(parts) or "nothing")
        + f"; {_plain(exact)} rounded to {rounded} {currency}",
    }


def _terms_explain(conversion: Conversion, side: str) -> dict[str, Any]:
    terms = conversion.terms or {}
    currency = conversion.currency
    shown: dict[str, Any] = {"currency": currency, "frozen_at": conversion.created_at}
    if side in (ALL, REVENUE):
        kind = str(terms.get("revenue_kind", ""))
        shown["revenue"] = {
            "source": "goal",
            "says": f"Revenue: {KIND_WORDS.get(kind, kind)}, from the goal's terms",
            "arithmetic": arithmetic_explain(
                kind=kind,
                amount=Decimal(str(terms.get("revenue_amount", "0"))),
                percent=Decimal(str(terms.get("revenue_percent", "0"))),
                sale_amount=conversion.sale_amount,
                currency=currency,
            ),
        }
    if side in (ALL, PAYOUT):
        kind = str(terms.get("payout_kind", ""))
        source = str(terms.get("source", "goal"))
        payout: dict[str, Any] = {
            "source": source,
            "override_id": terms.get("override_id"),
            "says": f"Payout: {KIND_WORDS.get(kind, kind)}, "
            f"from {SOURCE_WORDS.get(source, source)}",
            "arithmetic": arithmetic_explain(
                kind=kind,
                amount=Decimal(str(terms.get("payout_amount", "0"))),
                percent=Decimal(str(terms.get("payout_percent", "0"))),
                sale_amount=conversion.sale_amount,
                currency=currency,
            ),
        }
        override = (
            PublisherOverride.objects.filter(pk=terms["override_id"]).first()
            if terms.get("override_id")
            else None
        )
        if override is not None:
            payout["validity"] = {
                "valid_from": override.valid_from,
                "valid_to": override.valid_to,
                "says": f"In force from {_when(override.valid_from, 'the start')} until "
                f"{_when(override.valid_to, 'further notice')} (the conversion was attributed "
                f"at {_when(conversion.created_at, '')})",
            }
        shown["payout"] = payout
    return shown


def _click_explain(conversion: Conversion, side: str) -> dict[str, Any]:
    click = Click.objects.filter(
        click_id=conversion.click_id, created_at=conversion.click_created_at
    ).first()
    shown: dict[str, Any] = {
        "click_id": conversion.click_id,
        "at": conversion.click_created_at,
        "sub_ids": {f"sub{n}": getattr(conversion, f"sub{n}") for n in range(1, 6)},
        "source": conversion.source,
        "kept": click is not None,
    }
    if click is None:
        shown["says"] = "The click's detail is past retention; its id and time are kept."
        return shown
    shown.update(country=click.country, device=click.device, link_id=click.link_id)
    if side != REVENUE and click.link_id:
        shown["link_code"] = (
            TrackingLink.objects.filter(pk=click.link_id).values_list("code", flat=True).first()
        )
    shown["says"] = (
        f"Click at {click.created_at:%Y-%m-%d %H:%M:%S} UTC from {click.country or 'an unknown'} "
        f"country on {click.device or 'an unknown device'}"
    )
    return shown


def _callback_explain(conversion: Conversion, side: str) -> dict[str, Any] | None:
    inbox = CallbackInbox.objects.filter(pk=conversion.inbox_id).first()
    if inbox is None:
        return None
    shown: dict[str, Any] = {
        "received_at": inbox.received_at,
        "dialect": inbox.dialect,
        "result": inbox.result,
        "sale_amount": _money(conversion.sale_amount, conversion.currency),
        "says": f"Callback received at {inbox.received_at:%Y-%m-%d %H:%M:%S} UTC ({inbox.dialect})",
    }
    if side in (ALL, REVENUE):
        # The advertiser sent these parameters itself; a publisher never reads them.
        shown.update(id=inbox.pk, method=inbox.method, params=inbox.params)
        shown["advertiser_txn_id"] = conversion.advertiser_txn_id
    if side == ALL:
        shown["remote_ip"] = inbox.remote_ip
    return shown


def _checks_explain(conversion: Conversion, side: str) -> list[dict[str, Any]]:
    if side == ALL:
        return explanation_in_words(conversion.explanation)
    if side == REVENUE:
        return explanation_in_words(explanation_for_advertiser(conversion.explanation))
    # The publisher: which checks passed, in words; no figures (caps count revenue, fraud
    # evidence is the network's), no override id (its own terms section names the source).
    steps = explanation_in_words(explanation_for_advertiser(conversion.explanation))
    return [{"check": s["check"], "ok": s["ok"], "says": s["says"]} for s in steps]


def _history_explain(conversion: Conversion, side: str) -> list[dict[str, Any]]:
    currency = conversion.currency
    first = {
        "at": conversion.created_at,
        "action": "attribute",
        "to_status": conversion.history.order_by("id").values_list("from_status", flat=True).first()
        or conversion.status,
        "who": "the network (attribution)",
        "reason": "",
    }
    rows = [first]
    for change in conversion.history.select_related("actor").order_by("id"):
        row: dict[str, Any] = {
            "at": change.created_at,
            "action": change.action,
            "from_status": change.from_status,
            "to_status": change.to_status,
            "who": _who(change.actor, side),
            "reason": change.reason,
        }
        if side in (ALL, PAYOUT):
            row["payout"] = [
                _money(change.old_payout, currency),
                _money(change.new_payout, currency),
            ]
        if side in (ALL, REVENUE):
            row["revenue"] = [
                _money(change.old_revenue, currency),
                _money(change.new_revenue, currency),
            ]
        rows.append(row)
    return rows


def _settlement(entry: LedgerEntry) -> dict[str, Any] | None:
    """The batch line that took an entry, its batch, and the payment (and failure) of the line."""
    inclusion = PayoutLineEntry.objects.filter(entry_id=entry.pk).first()
    if inclusion is None:
        return None
    line = PayoutBatchLine.objects.select_related("batch").get(pk=inclusion.line_id)
    payments = LedgerEntry.objects.filter(
        batch_line_id=line.pk, kind__in=["payment", "payment_failure"]
    ).order_by("id")
    batch = line.batch
    return {
        "batch": batch.pk,
        "batch_status": batch.status,
        "line": line.pk,
        "reference": line.reference,
        "line_status": line.status,
        "paid_at": batch.paid_at,
        "payments": [
            {"entry": p.pk, "kind": p.kind, "amount": str(p.amount), "at": p.created_at}
            for p in payments
        ],
        "says": f"In payout batch {batch.pk} ({batch.status}), line {line.reference}"
        + (f", paid {batch.paid_at:%Y-%m-%d}" if batch.paid_at else ", not paid yet")
        + (" (the payment failed; owed again)" if line.status == "failed" else ""),
    }


def _entry_row(entry: LedgerEntry, side: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": entry.pk,
        "kind": entry.kind,
        "amount": _money(entry.amount, entry.currency),
        "currency": entry.currency,
        "at": entry.created_at,
        "conversion": entry.conversion_id,
        "reason": entry.reason,
        "says": f"{ENTRY_WORDS.get(entry.kind, entry.kind)}: {_money(entry.amount, entry.currency)}"
        f" {entry.currency}",
        "settled_by": _settlement(entry),
    }
    if entry.created_by_id is not None:
        row["who"] = _who(entry.created_by, side)
    return row


def conversion_explain(*, conversion_id: int, user: User) -> dict[str, Any]:
    """Why a conversion earned (and cost) what it did, for this reader's side."""
    side = explain_side(user=user)
    conversion = _conversions_for(user=user, side=side).filter(pk=conversion_id).first()
    if conversion is None:
        raise NotFoundError("not_found", f"No conversion {conversion_id}.")
    policy_require(
        action=Action.PAYOUT_EXPLAIN,
        user=user,
        facts={"publisher_id": conversion.publisher_id, "advertiser_id": conversion.advertiser_id},
    )
    return _conversion_explained(conversion, side)


def _conversion_explained(conversion: Conversion, side: str) -> dict[str, Any]:
    currency = conversion.currency
    shown: dict[str, Any] = {
        "conversion": conversion.pk,
        "side": side,
        "offer": {"id": conversion.offer_id, "name": conversion.offer.name},
        "goal": {"id": conversion.goal_id, "ref": conversion.goal.ref},
        "publisher": conversion.publisher_id,
        "status": conversion.status,
        "reason": conversion.reject_reason,
        "reason_says": reason_in_words(conversion.reject_reason)
        if conversion.reject_reason
        else "",
        "currency": currency,
        "sale_amount": _money(conversion.sale_amount, currency),
        "click": _click_explain(conversion, side),
        "callback": _callback_explain(conversion, side),
        "terms": _terms_explain(conversion, side),
        "checks": _checks_explain(conversion, side),
        "history": _history_explain(conversion, side),
    }
    if side in (ALL, REVENUE):
        shown["revenue"] = _money(conversion.revenue, currency)
    if side == ALL:
        shown["advertiser"] = conversion.advertiser_id
        shown["fraud"] = conversion.fraud or {}
    if side in (ALL, PAYOUT):
        entries = [
            _entry_row(entry, side)
            for entry in LedgerEntry.objects.filter(conversion_id=conversion.pk)
            .select_related("created_by")
            .order_by("id")
        ]
        total = sum((Decimal(e["amount"]) for e in entries), Decimal(0))
        payout = conversion.payout if conversion.status == Conversion.Status.APPROVED else 0
        shown["payout"] = _money(conversion.payout, currency)
        shown["ledger"] = {
            "entries": entries,
            "total": _money(total, currency),
            "owed_now": _money(Decimal(payout), currency),
            "adds_up": total == payout,
            "says": f"The ledger holds {_money(total, currency)} {currency} for this conversion"
            f" ({len(entries)} entr{'y' if len(entries) == 1 else 'ies'})",
        }
    return shown


def _entries_for(*, user: User, side: str):
    entries = LedgerEntry.objects.select_related("created_by")
    if side == ALL:
        return entries
    if side == PAYOUT:
        return entries.filter(publisher_id=user.publisher_id)
    return entries.none()  # the ledger is payouts: an advertiser reads none of it


def ledger_entry_explain(*, entry_id: int, user: User) -> dict[str, Any]:
    """Why a ledger entry exists and what it amounts to: its conversion explained (payout side),
    or the adjustment's author and confirmer, or the batch line a payment settled."""
    side = explain_side(user=user)
    entry = _entries_for(user=user, side=side).filter(pk=entry_id).first()
    if entry is None:
        raise NotFoundError("not_found", f"No ledger entry {entry_id}.")
    policy_require(
        action=Action.PAYOUT_EXPLAIN,
        user=user,
        facts={"publisher_id": entry.publisher_id, "advertiser_id": None},
    )
    shown = _entry_row(entry, side)
    shown["publisher"] = entry.publisher_id
    shown["offer"] = entry.offer_id
    if entry.conversion_id is not None:
        conversion = Conversion.objects.select_related("offer", "goal").get(pk=entry.conversion_id)
        shown["explains"] = _conversion_explained(conversion, side)
        change = _history_of_entry(entry)
        if change is not None:
            shown["because"] = (
                f"{change.action} by {_who(change.actor, side)}: {change.reason or 'no reason'}"
            )
        else:
            shown["because"] = "the conversion was approved at attribution"
    elif entry.kind == LedgerEntry.Kind.ADJUSTMENT:
        request = AdjustmentRequest.objects.filter(entry_id=entry.pk).first()
        shown["because"] = f"a manual adjustment: {entry.reason}"
        if request is not None:
            shown["confirmed_by"] = _who(request.decided_by, side)
    elif entry.kind in (LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.PAYMENT_FAILURE):
        line = PayoutBatchLine.objects.select_related("batch").get(pk=entry.batch_line_id)
        shown["because"] = (
            f"line {line.reference} of payout batch {line.batch_id} ({line.batch.status})"
        )
        shown["line"] = {"batch": line.batch_id, "line": line.pk, "reference": line.reference}
    else:
        shown["because"] = entry.reason or "an earning without a conversion (CPC clicks)"
    return shown


def _history_of_entry(entry: LedgerEntry) -> ConversionHistory | None:
    # Change keys end with the history row's id (payouts.ledger.ledger_key_conversion_change).
    tail = entry.idempotency_key.rsplit(":", 1)[-1]
    if entry.idempotency_key.endswith(":earning") or not tail.isdigit():
        return None
    return (
        ConversionHistory.objects.select_related("actor")
        .filter(pk=int(tail), conversion_id=entry.conversion_id)
        .first()
    )


def payout_line_entries(*, batch_id: int, line_id: int, user: User) -> dict[str, Any]:
    """The entries a batch line pays, each with what it is (finance and managers)."""
    batch = payout_batches_for(user=user).filter(pk=batch_id).first()
    line = PayoutBatchLine.objects.filter(pk=line_id, batch_id=batch_id).first() if batch else None
    if line is None:
        raise NotFoundError("not_found", f"No line {line_id} in payout batch {batch_id}.")
    entry_ids = PayoutLineEntry.objects.filter(line_id=line.pk).values("entry_id")
    entries = LedgerEntry.objects.filter(pk__in=entry_ids).order_by("id")
    rows = [
        {
            "id": entry.pk,
            "kind": entry.kind,
            "amount": _money(entry.amount, entry.currency),
            "currency": entry.currency,
            "at": entry.created_at,
            "conversion": entry.conversion_id,
            "offer": entry.offer_id,
            "reason": entry.reason,
        }
        for entry in entries
    ]
    total = sum((Decimal(row["amount"]) for row in rows), Decimal(0))
    return {
        "batch": batch_id,
        "line": line.pk,
        "reference": line.reference,
        "publisher": line.publisher_id,
        "currency": line.currency,
        "amount": _money(line.amount, line.currency),
        "entries": rows,
        "total": _money(total, line.currency),
        "adds_up": total == line.amount,
    }


def publisher_recent_entries(*, user: User, limit: int = 100) -> list[LedgerEntry]:
    """A publisher's latest ledger entries, newest first, each explainable."""
    if explain_side(user=user) != PAYOUT:
        raise ForbiddenError("forbidden", "This list is a publisher's own.")
    return list(LedgerEntry.objects.filter(publisher_id=user.publisher_id).order_by("-id")[:limit])
