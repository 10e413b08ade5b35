"""Writes of the payouts app. Each takes keyword arguments and raises config.errors on refusal."""

from payouts.services.adjustments import ledger_adjustment_create
from payouts.services.build import payout_batch_build, payout_batch_delete, payout_batch_rebuild
from payouts.services.lifecycle import (
    payout_batch_approve,
    payout_batch_export,
    payout_batch_mark_paid,
    payout_line_mark_failed,
)

__all__ = [
    "ledger_adjustment_create",
    "payout_batch_approve",
    "payout_batch_build",
    "payout_batch_delete",
    "payout_batch_export",
    "payout_batch_mark_paid",
    "payout_batch_rebuild",
    "payout_line_mark_failed",
]
