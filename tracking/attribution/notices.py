"""Who hears about a batch of new conversions (accounts/notifications.py): conversions held for
the advertiser's approval tell its users, held by the network (fraud, amount, cap, pixel)
tell the managers; a cap filled tells the managers and the offer's advertiser. One notice per
batch and recipient group, with counts, never one per conversion. Test conversions tell nobody.
"""

from collections import Counter

from accounts.models import Role
from accounts.notifications import notify, recipients
from offers.models import Cap
from tracking.models import Conversion

ADVERTISER_HOLD = Conversion.HoldReason.ADVERTISER_APPROVAL


def people_tell(*, held: list[Conversion], caps_filled: list[int]) -> None:
    held = [c for c in held if not getattr(c, "is_test", False)]
    by_advertiser = Counter(c.advertiser_id for c in held if c.reject_reason == ADVERTISER_HOLD)
    for advertiser_id, count in sorted(by_advertiser.items()):
        notify(
            users=recipients(advertiser_id=advertiser_id),
            kind="conversion_held",
            text=f"{count} new conversion{'s' if count > 1 else ''} wait for your approval.",
            url="/advertiser/conversions/?status=pending",
        )
    network = Counter(c.reject_reason for c in held if c.reject_reason != ADVERTISER_HOLD)
    if network:
        reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(network.items()))
        notify(
            users=recipients(roles=[Role.MANAGER]),
            kind="conversion_held",
            text=f"Conversions held for review: {reasons}.",
            url="/network/conversions/?status=pending",
        )
    for cap in Cap.objects.filter(pk__in=caps_filled).select_related("offer"):
        scope = " for one publisher" if cap.publisher_id else ""
        text = f"A {cap.period} {cap.metric} cap of {cap.offer.name} is reached{scope}."
        notify(users=recipients(roles=[Role.MANAGER]), kind="cap_reached", text=text)
        if cap.metric != Cap.Metric.PAYOUT:  # advertisers never see payout caps
            notify(
                users=recipients(advertiser_id=cap.offer.advertiser_id),
                kind="cap_reached",
                text=text,
            )
