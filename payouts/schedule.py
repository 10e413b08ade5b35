"""The optional payout schedule: when the periodic task runs, and the cut-off it builds to.

PAYOUT_SCHEDULE is "" (off), "daily", "weekly" (Mondays) or "monthly" (the 1st), at
PAYOUT_SCHEDULE_HOUR UTC. Each run builds a draft per currency up to the start of the current
period; earnings inside the hold (PAYOUT_HOLD_DAYS, per-publisher override) still wait. So
"monthly, net 30" is PAYOUT_SCHEDULE=monthly with PAYOUT_HOLD_DAYS=30.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from payouts.models import LedgerEntry, PayoutLineEntry


def payout_scheduled_cut_off(now: datetime | None = None) -> datetime:
    """The start of the current period (UTC midnight; Monday; the 1st): a replayed or late run
    in the same period builds to the same cut-off, which the unique constraint deduplicates."""
    now = (now or timezone.now()).astimezone(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    schedule = settings.PAYOUT_SCHEDULE or "daily"
    if schedule == "weekly":
        return midnight - timedelta(days=midnight.weekday())
    if schedule == "monthly":
        return midnight.replace(day=1)
    return midnight


def payout_currencies_due() -> list[str]:
    """Currencies with at least one entry in no batch (payments aside)."""
    unbatched = LedgerEntry.objects.exclude(kind=LedgerEntry.Kind.PAYMENT).exclude(
        Exists(PayoutLineEntry.objects.filter(entry=OuterRef("pk")))
    )
    return sorted(set(unbatched.values_list("currency", flat=True).distinct()))
