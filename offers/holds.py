"""Holds on offers: written by billing (funds, budgets), read by the redirect's snapshot.

The catalogue only records the hold; deciding it is the caller's business. Setting the holds
of a reason replaces the whole set, so a refresh that recomputes them is idempotent.
"""

from collections.abc import Iterable

from django.db import transaction

from offers.models import OfferHold


def offer_holds_replace(*, reason: str, offer_ids: Iterable[int]) -> tuple[set[int], set[int]]:
    """Make `offer_ids` exactly the offers held for `reason`. Returns (held now, lifted)."""
    wanted = set(offer_ids)
    with transaction.atomic():
        current = set(OfferHold.objects.filter(reason=reason).values_list("offer_id", flat=True))
        added, lifted = wanted - current, current - wanted
        if lifted:
            OfferHold.objects.filter(reason=reason, offer_id__in=lifted).delete()
        if added:
            OfferHold.objects.bulk_create(
                [OfferHold(offer_id=offer_id, reason=reason) for offer_id in sorted(added)],
                ignore_conflicts=True,
            )
    return added, lifted


def offer_hold_reason(*, offer_id: int) -> str:
    """The first reason the offer is held for, or "" when it is not held."""
    return (
        OfferHold.objects.filter(offer_id=offer_id)
        .order_by("reason")
        .values_list("reason", flat=True)
        .first()
        or ""
    )


def offer_holds(*, offer_ids: Iterable[int]) -> dict[int, list[str]]:
    held: dict[int, list[str]] = {}
    for offer_id, reason in OfferHold.objects.filter(offer_id__in=list(offer_ids)).values_list(
        "offer_id", "reason"
    ):
        held.setdefault(offer_id, []).append(reason)
    return held
