"""Monthly validation: an advertiser (or a manager) sends a CSV of its conversions with a
decision for each, sees what would change, then applies it.

Columns (a header row, names case-insensitive): `txn_id` (the advertiser's transaction id) or
`click_id`, `decision` (approve, reject or reverse), `reason` (needed to reject or reverse) and
an optional `sale_amount`, a corrected sale amount that may only lower it (with approve).

`validation_preview` reads and changes nothing: per row, the conversion found, what the
decision would do and the money it moves, or why not (not found, ambiguous, bad row, refused by
the transition rules or the money policy). `validation_apply` does each row through the manual
action services (tracking.attribution.actions), which lock the row and ask the policy again, one
transaction per row: a refused row is reported and the others go on. The outcome is kept in a
ValidationUpload, whose rows are the downloadable result.

Money is counted as the change in approved money, by currency: approving adds the revenue
(and payout), reversing takes it away, lowering the sale of an approved conversion takes the
difference; rejecting a pending conversion moves none. Advertisers are never shown payouts.
"""

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from accounts.policy import Action as PolicyAction
from accounts.policy import policy_refusal
from core.errors import DomainError, ForbiddenError, NotFoundError
from core.money import money_round
from tracking.attribution.actions import (
    ALLOWED_FROM,
    POLICY_ACTION,
    conversion_act,
    conversion_amounts_for_sale,
    conversion_policy_facts,
    conversion_sale_lower,
)
from tracking.models import Conversion, ValidationUpload

Status = Conversion.Status
DECISIONS = ("approve", "reject", "reverse")
TARGET = {"approve": Status.APPROVED, "reject": Status.REJECTED, "reverse": Status.REVERSED}
MAX_ROWS = 5000
ALIASES = {
    "txn_id": "txn_id",
    "transaction_id": "txn_id",
    "advertiser_txn_id": "txn_id",
    "click_id": "click_id",
    "decision": "decision",
    "action": "decision",
    "status": "decision",
    "reason": "reason",
    "sale_amount": "sale_amount",
    "amount": "sale_amount",
}
# What a row comes to, in words. `change` rows are applied; then they are `done` or `refused`.
OUTCOMES = {
    "change": "will change",
    "unchanged": "already so",
    "not_found": "not found",
    "ambiguous": "ambiguous",
    "invalid": "bad row",
    "refused": "refused",
    "done": "changed",
}


@dataclass
class ValidationRow:
    line: int
    txn_id: str = ""
    click_id: str = ""
    decision: str = ""
    reason: str = ""
    sale_amount: str = ""
    outcome: str = ""
    message: str = ""
    conversion_id: int | None = None
    status_before: str = ""
    status_after: str = ""
    currency: str = ""
    revenue_change: str = ""
    payout_change: str = ""


@dataclass
class ValidationReport:
    rows: list[ValidationRow]
    counts: dict[str, int] = field(default_factory=dict)
    # {currency: {"revenue": Decimal, "payout": Decimal}}: the change in approved money.
    money: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "money": {
                currency: {
                    kind: str(money_round(amount, currency)) for kind, amount in sums.items()
                }
                for currency, sums in self.money.items()
            },
        }


def validation_parse(*, text: str) -> list[ValidationRow]:
    """The rows of a validation CSV; a file without a usable header is a 400."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise DomainError.for_field("file", "empty_file", "The file is empty.")
    columns = [ALIASES.get(name.strip().lower().replace(" ", "_"), "") for name in header]
    if "decision" not in columns or not {"txn_id", "click_id"} & set(columns):
        raise DomainError.for_field(
            "file",
            "bad_header",
            "The first row names the columns: txn_id (or click_id), decision, reason and, "
            "optionally, sale_amount.",
        )
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise DomainError.for_field(
                "file", "too_many_rows", f"At most {MAX_ROWS} rows per file; split it."
            )
        row = ValidationRow(line=number)
        for name, cell in zip(columns, cells, strict=False):
            if name:
                setattr(row, name, cell.strip())
        row.decision = row.decision.lower()
        rows.append(row)
    return rows


def _scope(user: Any) -> QuerySet[Conversion]:
    if getattr(user, "is_manager", False):
        return Conversion.objects.all()
    if getattr(user, "advertiser_id", None) is not None:
        return Conversion.objects.filter(advertiser_id=user.advertiser_id)
    raise ForbiddenError("forbidden", "Only advertisers and managers validate conversions.")


def _invalid(row: ValidationRow) -> str:
    if not row.txn_id and not row.click_id:
        return "Give a txn_id or a click_id."
    if row.decision not in DECISIONS:
        return "The decision is approve, reject or reverse."
    if row.sale_amount:
        try:
            amount = Decimal(row.sale_amount)
        except InvalidOperation:
            return "The sale amount is a decimal number."
        if not amount.is_finite() or amount < 0:
            return "The sale amount is a non-negative decimal number."
        if row.decision != "approve":
            return "A corrected sale amount goes with approve."
    if row.decision in ("reject", "reverse") and not row.reason:
        return f"Say why it is {TARGET[row.decision]}."
    return ""


def _find(scope: QuerySet[Conversion], row: ValidationRow) -> list[Conversion]:
    found = scope.filter(advertiser_txn_id=row.txn_id) if row.txn_id else scope
    if row.click_id:
        found = found.filter(click_id=row.click_id)
    conversions = list(found.order_by("id")[:3])
    if len(conversions) > 1:  # a rejected duplicate may share the txn id: prefer the live one
        live = [c for c in conversions if c.status != Status.REJECTED]
        conversions = live or conversions
    return conversions


def _judge(*, user: Any, row: ValidationRow, conversion: Conversion) -> None:
    """Fill the row's outcome, new status and money change, as applying it would."""
    row.conversion_id = conversion.pk
    row.status_before = conversion.status
    row.currency = conversion.currency
    target = TARGET[row.decision]
    revenue, payout = conversion.revenue, conversion.payout
    lowers = False
    if row.sale_amount:
        new_sale = money_round(Decimal(row.sale_amount), conversion.currency)
        if conversion.sale_amount is None or new_sale >= conversion.sale_amount:
            row.outcome, row.message = "refused", "A corrected sale amount only lowers it."
            return
        lowers = True
        revenue, payout = conversion_amounts_for_sale(conversion=conversion, sale_amount=new_sale)
    facts = conversion_policy_facts(conversion=conversion, reason=row.reason)
    if lowers:
        if conversion.status not in (Status.PENDING, Status.APPROVED):
            row.outcome = "refused"
            row.message = f"Cannot correct the sale amount of a {conversion.status} conversion."
            return
        refusal = policy_refusal(action=PolicyAction.CONVERSION_SALE_LOWER, user=user, facts=facts)
        if refusal:
            row.outcome, row.message = "refused", refusal
            return
    if conversion.status == target:
        if not lowers:
            row.outcome, row.message, row.status_after = "unchanged", f"Already {target}.", target
            return
    else:
        if conversion.status not in ALLOWED_FROM[row.decision]:
            row.outcome = "refused"
            row.message = f"Cannot {row.decision} a {conversion.status} conversion."
            return
        refusal = policy_refusal(action=POLICY_ACTION[row.decision], user=user, facts=facts)
        if refusal:
            row.outcome, row.message = "refused", refusal
            return
    row.outcome, row.status_after = "change", target
    was_approved = conversion.status == Status.APPROVED
    zero = Decimal(0)
    if target == Status.APPROVED:
        before = (conversion.revenue, conversion.payout) if was_approved else (zero, zero)
        changes_by = (revenue - before[0], payout - before[1])
    elif was_approved:  # reversed
        changes_by = (-conversion.revenue, -conversion.payout)
    else:
        changes_by = (zero, zero)
    row.revenue_change, row.payout_change = (
        str(money_round(amount, conversion.currency)) for amount in changes_by
    )
    changes = []
    if lowers:
        old_sale = money_round(conversion.sale_amount or Decimal(0), conversion.currency)
        changes.append(f"sale amount {old_sale} to {row.sale_amount}")
    if conversion.status != target:
        changes.append(f"{conversion.status} to {target}")
    row.message = "; ".join(changes).capitalize() + "."


def _report(rows: list[ValidationRow]) -> ValidationReport:
    counts: dict[str, int] = defaultdict(int)
    money: dict[str, dict[str, Decimal]] = {}
    for row in rows:
        counts[row.outcome] += 1
        if row.outcome in ("change", "done") and row.revenue_change:
            sums = money.setdefault(row.currency, {"revenue": Decimal(0), "payout": Decimal(0)})
            sums["revenue"] += Decimal(row.revenue_change)
            sums["payout"] += Decimal(row.payout_change or 0)
    return ValidationReport(rows=rows, counts=dict(counts), money=money)


def validation_preview(*, user: Any, rows: list[ValidationRow]) -> ValidationReport:
    """What applying `rows` as `user` would do; reads only."""
    scope = _scope(user)
    for row in rows:
        problem = _invalid(row)
        if problem:
            row.outcome, row.message = "invalid", problem
            continue
        found = _find(scope, row)
        if not found:
            row.outcome, row.message = "not_found", "No such conversion of yours."
        elif len(found) > 1:
            row.outcome = "ambiguous"
            row.message = "Several conversions match; give both txn_id and click_id."
        else:
            _judge(user=user, row=row, conversion=found[0])
    return _report(rows)


def _apply_row(*, user: Any, row: ValidationRow) -> None:
    assert row.conversion_id is not None
    with transaction.atomic():
        if row.sale_amount:
            conversion_sale_lower(
                conversion_id=row.conversion_id,
                sale_amount=row.sale_amount,
                actor=user,
                reason=row.reason or "monthly validation",
            )
        if row.status_before != row.status_after:
            conversion_act(
                conversion_id=row.conversion_id,
                action=row.decision,
                actor=user,
                reason=row.reason,
            )


def validation_apply(
    *, user: Any, rows: list[ValidationRow], filename: str = ""
) -> ValidationUpload:
    """Apply each row that would change something, one transaction per row, and keep the
    outcome. The services ask the money policy again against the locked row."""
    report = validation_preview(user=user, rows=rows)
    for row in report.rows:
        if row.outcome != "change":
            continue
        try:
            _apply_row(user=user, row=row)
        except DomainError as exc:
            row.outcome, row.message = "refused", exc.message
            row.revenue_change = row.payout_change = ""
        else:
            row.outcome = "done"
    report = _report(report.rows)
    return ValidationUpload.objects.create(
        uploaded_by_id=user.pk,
        advertiser_id=None if getattr(user, "is_manager", False) else user.advertiser_id,
        filename=filename[:255],
        summary=report.summary(),
        rows=[asdict(row) for row in report.rows],
    )


def validation_uploads_visible_to(*, user: Any) -> QuerySet[ValidationUpload]:
    if getattr(user, "is_manager", False):
        return ValidationUpload.objects.all()
    if getattr(user, "advertiser_id", None) is not None:
        return ValidationUpload.objects.filter(advertiser_id=user.advertiser_id)
    return ValidationUpload.objects.none()


RESULT_COLUMNS = (
    ("line", "Line"),
    ("txn_id", "txn_id"),
    ("click_id", "click_id"),
    ("decision", "decision"),
    ("sale_amount", "sale_amount"),
    ("outcome", "Outcome"),
    ("message", "Message"),
    ("conversion_id", "Conversion"),
    ("status_before", "Status before"),
    ("status_after", "Status after"),
    ("currency", "Currency"),
    ("revenue_change", "Revenue change"),
    ("payout_change", "Payout change"),
)


def validation_result_columns(*, user: Any) -> tuple[tuple[str, str], ...]:
    """The result's columns for `user`: advertisers never see payouts."""
    if getattr(user, "is_manager", False):
        return RESULT_COLUMNS
    return tuple(column for column in RESULT_COLUMNS if column[0] != "payout_change")


@dataclass
class StatusUpdate:
    """What one status postback did: the conversion, its status before and after, and whether
    anything changed (a repeat changes nothing and says so)."""

    conversion_id: int
    txn_id: str
    status_before: str
    status: str
    changed: bool
    message: str


def conversion_status_update(*, user: Any, txn_id: str, decision: str, reason: str) -> StatusUpdate:
    """One row of monthly validation, by the advertiser's transaction id, applied at once: the
    status postback. The same rules as a validation file (`_invalid`, `_find`, `_judge`) and
    the same services (`_apply_row`: conversion_act locks the row, checks the transition, asks
    the money policy, books the ledger; a conversion of a closed period is booked as an
    adjustment in the open one).

    Idempotent: a conversion already in the asked status answers `changed=False`. Raises
    DomainError 400 (bad input), NotFoundError 404 (no conversion of the caller's with this
    txn id: another advertiser's is not found either), DomainError 409 (ambiguous, or a
    transition the status does not allow) and ForbiddenError 403 (the money policy: e.g. a
    reversal after the offer's reversal window is a manager's).
    """
    row = ValidationRow(line=1, txn_id=(txn_id or "").strip(), decision=decision, reason=reason)
    if not row.txn_id:
        raise DomainError.for_field("txn_id", "required", "Give the conversion's txn_id.")
    problem = _invalid(row)
    if problem:
        field_name = "reason" if row.decision in DECISIONS else "decision"
        raise DomainError.for_field(field_name, "invalid", problem)
    found = _find(_scope(user), row)
    if not found:
        raise NotFoundError("not_found", "No conversion of yours has this txn_id.")
    if len(found) > 1:
        raise DomainError(
            "ambiguous",
            "Several of your conversions have this txn_id; decide them in the portal or by "
            "a validation file with click_id.",
            status_code=409,
        )
    _judge(user=user, row=row, conversion=found[0])
    if row.outcome == "unchanged":
        return StatusUpdate(
            conversion_id=found[0].pk,
            txn_id=row.txn_id,
            status_before=row.status_before,
            status=row.status_before,
            changed=False,
            message=row.message,
        )
    # A row `_judge` refused goes to the services too: they refuse it again against the locked
    # row, with the status that says why (403 policy, 409 transition), and nothing is written.
    row.status_after = TARGET[row.decision]
    with transaction.atomic():
        conversion = conversion_act(
            conversion_id=found[0].pk,
            action=row.decision,
            actor=user,
            # The history says how it came (the reason itself was required above if needed).
            reason=f"{row.reason} (status postback)".strip(),
        )
    return StatusUpdate(
        conversion_id=conversion.pk,
        txn_id=row.txn_id,
        status_before=row.status_before,
        status=conversion.status,
        changed=conversion.status != row.status_before,
        message=f"{row.status_before} to {conversion.status}.".capitalize(),
    )
