"""Writes of the payouts app. Each takes keyword arguments and raises core.errors on refusal.

Who may do each is accounts.policy's to say; every service here asks it."""

from payouts.services.adjustments import (
    ledger_adjustment_confirm,
    ledger_adjustment_create,
    ledger_adjustment_reject,
)
from payouts.services.build import payout_batch_build, payout_batch_delete, payout_batch_rebuild
from payouts.services.lifecycle import (
    payout_batch_approve,
    payout_batch_export,
    payout_batch_mark_paid,
    payout_line_failure_confirm,
    payout_line_failure_reject,
    payout_line_failure_request,
)

__all__ = [
    "ledger_adjustment_confirm",
    "ledger_adjustment_create",
    "ledger_adjustment_reject",
    "payout_batch_approve",
    "payout_batch_build",
    "payout_batch_delete",
    "payout_batch_export",
    "payout_batch_mark_paid",
    "payout_batch_rebuild",
    "payout_line_failure_confirm",
    "payout_line_failure_reject",
    "payout_line_failure_request",
]
