"""Building payout batches: set-based SQL over the ledger, never a Python loop per entry.

A build takes, for one currency, every entry that is in no batch yet and was written before the
cut-off, except payments (which settle lines) and conversion money still inside its hold period
(`cut_off - hold days`, the publisher's own or the network's PAYOUT_HOLD_DAYS). Reversals and
other negative entries are never held: holding them would pay out money already clawed back.
Per publisher it sums them, and makes a line when the sum is positive and reaches the
publisher's minimum payout; everything else stays unbatched and nets in a later batch.

With PAYABLE_AFTER_CLOSE_DAYS set (the default, 0), the same conversion money also waits for
its month to be closed (payouts.services.periods) and that many days more: a batch pays only
from closed books. Its month is the entry's, in the network's time zone.

Publishers held out have their entries left for a later batch and their names listed on the
batch (`held`, with every reason that applies; `reason` is the first): a suspended or banned
publisher is not paid; nor is one whose payout details were never confirmed by a second person
(payout_details_unverified: affiliates.payout_details, the money policy's confirmation flow);
one whose payout details changed within PAYOUT_DETAILS_COOLDOWN_HOURS waits, so a change the
publisher did not ask for can be noticed before money goes there; and where TAX_FORM_REQUIRED
is on, one without a tax form accepted by finance and valid today waits (tax_form_missing,
tax_form_pending, tax_form_expired, tax_form_rejected).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from accounts.models import Role, User
from accounts.notifications import notify, recipients
from accounts.policy import Action, policy_require
from affiliates.models import Publisher
from core.errors import DomainError, NotFoundError
from core.money import currency_is_known, money_str
from core.network_time import network_today
from payouts.locks import payout_batch_lock, payout_currency_lock
from payouts.models import (
    AccountingPeriod,
    LedgerEntry,
    PayoutBatch,
    PayoutBatchLine,
    PayoutLineEntry,
    TaxForm,
)

# SQL below is composed from these table names (ours, from model metadata) and fixed fragments;
# every value is a query parameter.
LEDGER = LedgerEntry._meta.db_table
PUBLISHER = Publisher._meta.db_table
BATCH = PayoutBatch._meta.db_table
LINE = PayoutBatchLine._meta.db_table
INCLUSION = PayoutLineEntry._meta.db_table
PERIOD = AccountingPeriod._meta.db_table
TAX_FORM = TaxForm._meta.db_table


@dataclass(frozen=True)
class _Filled:
    line_count: int
    total: Decimal
    entry_count: int


# What the hold applies to: money a conversion earned (an earning, or a positive adjustment of
# a conversion's payout). Reversals and other negative entries are never held, nor are manual
# adjustments and returned payments, which no conversion can take back.
HELD_KIND = (
    "e.amount > 0 AND (e.kind = 'earning'"
    " OR (e.kind = 'adjustment' AND e.conversion_id IS NOT NULL))"
)


def _eligible_where() -> str:
    """The WHERE clause of "entries this build may take" (aliases: e ledger, p publisher)."""
    if connection.vendor == "postgresql":
        past_hold = (
            "e.created_at < %(cut_off)s"
            " - make_interval(days => COALESCE(p.hold_days, %(hold_days)s))"
        )
        past_close = "ap.closed_at <= %(cut_off)s - make_interval(days => %(after_close_days)s)"
    else:
        past_hold = (
            "julianday(e.created_at)"
            " < julianday(%(cut_off)s) - COALESCE(p.hold_days, %(hold_days)s)"
        )
        past_close = "julianday(ap.closed_at) <= julianday(%(cut_off)s) - %(after_close_days)s"
    # Its month closed (and N days passed), when PAYABLE_AFTER_CLOSE_DAYS is set.
    closed = f"""(NOT %(close_gate)s OR EXISTS (
        SELECT 1 FROM {PERIOD} ap
        WHERE ap.status = 'closed' AND e.created_at >= ap.starts_at
          AND e.created_at < ap.ends_at AND {past_close}))"""  # noqa: S608
    return f"""
        e.currency = %(currency)s
        AND e.kind <> 'payment'
        AND e.created_at < %(cut_off)s
        AND (NOT ({HELD_KIND}) OR ({past_hold} AND {closed}))
        AND NOT EXISTS (SELECT 1 FROM {INCLUSION} i WHERE i.entry_id = e.id)
        AND NOT {PUBLISHER_HELD}
    """  # noqa: S608


# Publishers no batch pays now (alias p): suspended or banned, payout details never confirmed or
# changed too recently, or (where required) no accepted tax form valid today (network calendar).
PUBLISHER_HELD = f"""(p.status IN ('suspended', 'banned')
    OR p.payout_details_changed_at IS NULL
    OR COALESCE(p.payout_details_changed_at > %(cooldown_since)s, false)
    OR (%(tax_form_required)s AND NOT EXISTS (SELECT 1 FROM {TAX_FORM} tf
        WHERE tf.publisher_id = p.id AND tf.status = 'accepted'
        AND (tf.valid_until IS NULL OR tf.valid_until >= %(today)s))))"""  # noqa: S608


_LINE_COLUMNS = (
    "batch_id, publisher_id, currency, amount, payout_method, payout_details, payee_name,"
    " reference, status, failure_reason"
)
_LINE_VALUES = (
    "%(batch)s, p.id, %(currency)s, {amount}, p.payout_method, p.payout_details, p.name,"
    " 'PB' || %(batch)s || '-' || p.id, 'ok', ''"
)


def _fill_postgresql(params: dict[str, Any]) -> _Filled:
    """One statement, so lines and inclusions come from one snapshot of the ledger: an entry
    committed meanwhile is in both or in neither, and a line always equals its entries' sum.
    Lines are numbered in publisher order, whatever plan the query takes."""
    sql = f"""
        WITH eligible AS MATERIALIZED (
            SELECT e.id, e.publisher_id, e.amount
            FROM {LEDGER} e JOIN {PUBLISHER} p ON p.id = e.publisher_id
            WHERE {_eligible_where()}
        ),
        sums AS (
            SELECT publisher_id, sum(amount) AS amount, count(*) AS entries
            FROM eligible GROUP BY publisher_id
        ),
        lines AS (
            INSERT INTO {LINE} ({_LINE_COLUMNS})
            SELECT {_LINE_VALUES.format(amount="s.amount")}
            FROM sums s JOIN {PUBLISHER} p ON p.id = s.publisher_id
            WHERE s.amount > 0 AND s.amount >= p.minimum_payout
            ORDER BY p.id
            RETURNING id, publisher_id, amount
        ),
        taken AS (
            INSERT INTO {INCLUSION} (line_id, entry_id, currency)
            SELECT l.id, e.id, %(currency)s FROM eligible e JOIN lines l USING (publisher_id)
        )
        SELECT count(*), COALESCE(sum(l.amount), 0), COALESCE(sum(s.entries), 0)
        FROM lines l JOIN sums s USING (publisher_id)
    """  # noqa: S608
    with connection.cursor() as cursor:
        # Every join here is over a large set (the ledger, the new inclusions in the guard
        # trigger): hash joins, never a nested loop per entry, and room for them in memory.
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        line_count, total, entry_count = cursor.fetchone()
        cursor.execute("RESET enable_nestloop")
        cursor.execute("RESET work_mem")
    return _Filled(line_count=line_count, total=Decimal(total), entry_count=entry_count)


def _fill_sqlite(params: dict[str, Any]) -> _Filled:
    """Two statements: SQLite lets no other writer in once the first has written, so both see
    the same ledger."""
    lines_sql = f"""
        INSERT INTO {LINE} ({_LINE_COLUMNS})
        SELECT {_LINE_VALUES.format(amount="sum(e.amount)")}
        FROM {LEDGER} e JOIN {PUBLISHER} p ON p.id = e.publisher_id
        WHERE {_eligible_where()}
        GROUP BY p.id
        HAVING sum(e.amount) > 0 AND sum(e.amount) >= p.minimum_payout
        ORDER BY p.id
    """  # noqa: S608
    taken_sql = f"""
        INSERT INTO {INCLUSION} (line_id, entry_id, currency)
        SELECT l.id, e.id, %(currency)s
        FROM {LEDGER} e JOIN {PUBLISHER} p ON p.id = e.publisher_id
        JOIN {LINE} l ON l.batch_id = %(batch)s AND l.publisher_id = e.publisher_id
        WHERE {_eligible_where()}
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(lines_sql, params)
        cursor.execute(taken_sql, params)
    lines = PayoutBatchLine.objects.filter(batch_id=params["batch"])
    total = sum(lines.values_list("amount", flat=True), Decimal(0))
    entry_count = PayoutLineEntry.objects.filter(line__batch_id=params["batch"]).count()
    return _Filled(line_count=lines.count(), total=total, entry_count=entry_count)


def _held(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The publishers a line would have paid but for a hold, with the amount and why."""
    where = _eligible_where().replace(f"AND NOT {PUBLISHER_HELD}", f"AND {PUBLISHER_HELD}")
    sql = f"""
        SELECT p.id, p.name, p.status, p.payout_details_changed_at, sum(e.amount)
        FROM {LEDGER} e JOIN {PUBLISHER} p ON p.id = e.publisher_id
        WHERE {where}
        GROUP BY p.id, p.name, p.status, p.payout_details_changed_at, p.minimum_payout
        HAVING sum(e.amount) > 0 AND sum(e.amount) >= p.minimum_payout
        ORDER BY p.id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    tax_forms = (
        _tax_form_states([row[0] for row in rows], date.fromisoformat(params["today"]))
        if params["tax_form_required"]
        else {}
    )
    held = []
    for publisher_id, name, status, changed_at, amount in rows:
        row = {
            "publisher": publisher_id,
            "name": name,
            "amount": money_str(Decimal(amount), params["currency"]),
        }
        reasons = []
        if status in (Publisher.Status.SUSPENDED, Publisher.Status.BANNED):
            reasons.append(f"publisher_{status}")
        if changed_at is None:
            reasons.append("payout_details_unverified")
        else:
            until = _aware(changed_at) + timedelta(hours=settings.PAYOUT_DETAILS_COOLDOWN_HOURS)
            if until > timezone.now():
                reasons.append("payout_details_changed")
                row["until"] = until.isoformat()
        if params["tax_form_required"]:
            states = tax_forms.get(publisher_id, set())
            if TaxForm.Status.ACCEPTED not in states:
                if TaxForm.Status.PENDING in states:
                    reasons.append("tax_form_pending")
                elif TAX_FORM_EXPIRED in states:
                    reasons.append("tax_form_expired")
                elif TaxForm.Status.REJECTED in states:
                    reasons.append("tax_form_rejected")
                else:
                    reasons.append("tax_form_missing")
        row["reason"] = reasons[0]
        row["reasons"] = reasons
        held.append(row)
    return held


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return timezone.make_aware(value, UTC) if timezone.is_naive(value) else value


# An accepted form past its last valid day.
TAX_FORM_EXPIRED = "expired"


def _tax_form_states(publisher_ids: list[int], today: date) -> dict[int, set[str]]:
    states: dict[int, set[str]] = {}
    forms = TaxForm.objects.filter(publisher_id__in=publisher_ids).values_list(
        "publisher_id", "status", "valid_until"
    )
    for publisher_id, status, valid_until in forms:
        if status == TaxForm.Status.ACCEPTED and valid_until is not None and valid_until < today:
            status = TAX_FORM_EXPIRED
        states.setdefault(publisher_id, set()).add(status)
    return states


def _batch_fill(batch: PayoutBatch) -> PayoutBatch:
    cooldown_since = timezone.now() - timedelta(hours=settings.PAYOUT_DETAILS_COOLDOWN_HOURS)
    params = {
        "batch": batch.id,
        "currency": batch.currency,
        "cut_off": connection.ops.adapt_datetimefield_value(batch.cut_off),
        "hold_days": settings.PAYOUT_HOLD_DAYS,
        "cooldown_since": connection.ops.adapt_datetimefield_value(cooldown_since),
        "close_gate": settings.PAYABLE_AFTER_CLOSE_DAYS is not None,
        "after_close_days": settings.PAYABLE_AFTER_CLOSE_DAYS or 0,
        "tax_form_required": bool(settings.TAX_FORM_REQUIRED),
        # A form's last valid day counts on the network's calendar.
        "today": network_today(now=timezone.now()).isoformat(),
    }
    fill = _fill_postgresql if connection.vendor == "postgresql" else _fill_sqlite
    filled = fill(params)
    batch.line_count = filled.line_count
    batch.total = filled.total
    batch.entry_count = filled.entry_count
    batch.held = _held(params)
    batch.save(update_fields=["line_count", "total", "entry_count", "held"])
    return batch


def _batch_empty(batch_id: int) -> None:
    """Drop a draft's lines and inclusions with two statements, not one query per row."""
    lines = PayoutBatchLine.objects.filter(batch_id=batch_id)
    bounds = lines.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        return
    with connection.cursor() as cursor:
        # The range lets the BRIN index on line_id find the batch's stretch of the table.
        cursor.execute(
            f"DELETE FROM {INCLUSION} WHERE line_id BETWEEN %(low)s AND %(high)s"  # noqa: S608
            f" AND line_id IN (SELECT id FROM {LINE} WHERE batch_id = %(batch)s)",
            {**bounds, "batch": batch_id},
        )
        cursor.execute(f"DELETE FROM {LINE} WHERE batch_id = %s", [batch_id])  # noqa: S608


def _cut_off_check(cut_off: datetime, now: datetime) -> None:
    if timezone.is_naive(cut_off):
        raise DomainError.for_field("cut_off", "invalid", "The cut-off needs a time zone.")
    if cut_off > now:
        raise DomainError.for_field(
            "cut_off", "cut_off_in_future", "The cut-off cannot be in the future."
        )


def payout_batch_build(
    *, currency: str, cut_off: datetime | None = None, built_by: User | None
) -> PayoutBatch:
    """Build a draft batch for `currency` up to `cut_off` (default: now).

    `built_by` None means the schedule built it; otherwise it must be a finance user, and that
    user may not approve it. Refuses when no publisher is due anything (nothing is written).
    """
    if built_by is not None:
        policy_require(action=Action.BATCH_BUILD, user=built_by, facts={})
    if not currency_is_known(currency):
        raise DomainError.for_field("currency", "unknown_currency", f"Unknown currency {currency}.")
    now = timezone.now()
    cut_off = now if cut_off is None else cut_off
    _cut_off_check(cut_off, now)
    with transaction.atomic():
        payout_currency_lock(currency=currency)
        batch = PayoutBatch.objects.create(
            currency=currency, cut_off=cut_off, built_by=built_by, built_at=now
        )
        _batch_fill(batch)
        if batch.line_count == 0:
            held = f" ({len(batch.held)} held)" if batch.held else ""
            raise DomainError(
                "nothing_to_pay",
                f"No publisher is due a payout in {currency} up to {cut_off.isoformat()}{held}.",
                status_code=409,
            )
        notify(
            users=recipients(roles=[Role.FINANCE], exclude_ids=[built_by.pk] if built_by else []),
            kind="batch_waiting",
            text=f"Payout batch {batch.pk} ({batch.line_count} lines, {currency}) waits for "
            "approval.",
            url=f"/finance/batches/{batch.pk}/",
        )
    return batch


def payout_batch_rebuild(
    *, batch_id: int, rebuilt_by: User, cut_off: datetime | None = None
) -> PayoutBatch:
    """Build a draft again from the current ledger (same cut-off unless one is given).

    The rebuilder becomes the builder: whoever decided the content may not approve it. A
    rebuild may leave the draft empty; an empty draft cannot be approved.
    """
    policy_require(action=Action.BATCH_BUILD, user=rebuilt_by, facts={})
    now = timezone.now()
    if cut_off is not None:
        _cut_off_check(cut_off, now)
    with transaction.atomic():
        batch = payout_batch_lock(batch_id=batch_id)
        if batch is None:
            raise NotFoundError("not_found", f"No payout batch {batch_id}.")
        _require_draft(batch, "rebuilt")
        _batch_empty(batch.id)
        batch.cut_off = cut_off or batch.cut_off
        batch.built_by = rebuilt_by
        batch.built_at = now
        batch.save(update_fields=["cut_off", "built_by", "built_at"])
        return _batch_fill(batch)


def payout_batch_delete(*, batch_id: int, deleted_by: User) -> None:
    """Delete a draft; its entries become unbatched again (the ledger itself is untouched)."""
    policy_require(action=Action.BATCH_BUILD, user=deleted_by, facts={})
    with transaction.atomic():
        batch = payout_batch_lock(batch_id=batch_id)
        if batch is None:
            raise NotFoundError("not_found", f"No payout batch {batch_id}.")
        _require_draft(batch, "deleted")
        _batch_empty(batch.id)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {BATCH} WHERE id = %s", [batch.id])  # noqa: S608


def _require_draft(batch: PayoutBatch, verb: str) -> None:
    if batch.status != PayoutBatch.Status.DRAFT:
        raise DomainError(
            "batch_not_draft",
            f"Batch {batch.id} is {batch.status}: only a draft can be {verb}.",
            status_code=409,
        )
