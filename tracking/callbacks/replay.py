"""Forgetting replay keys once a signature's timestamp alone refuses its replay."""

from datetime import datetime, timedelta

from django.utils import timezone

from tracking.callbacks.auth import SIGNATURE_TOLERANCE_SECONDS
from tracking.models import CallbackReplayKey

# A signature is accepted while |received - timestamp| <= tolerance, so one received at r was
# signed at t >= r - tolerance and is refused as stale after t + tolerance <= r + 2 * tolerance.
REPLAY_KEY_KEEP = timedelta(seconds=2 * SIGNATURE_TOLERANCE_SECONDS)


def callback_replay_keys_purge(*, now: datetime | None = None) -> int:
    """Delete replay keys that can no longer matter. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - REPLAY_KEY_KEEP
    deleted, _ = CallbackReplayKey.objects.filter(received_at__lt=cutoff).delete()
    return deleted
