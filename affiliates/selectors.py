"""Reads about publishers and what they may run."""

from django.db.models import Q, QuerySet

from affiliates.models import OfferAccess, Publisher
from offers.models import Offer


def offers_runnable_by(*, publisher: Publisher) -> QuerySet[Offer]:
    """Offers a publisher may promote: public ones, and any it was approved for.

    A private offer is invisible unless approved for this publisher; an offer needing approval
    is listed (so it can be requested) by `offers_visible_to`, but only runnable once approved.
    """
    approved = OfferAccess.objects.filter(
        publisher=publisher, status=OfferAccess.Status.APPROVED
    ).values("offer_id")
    return Offer.objects.filter(Q(visibility=Offer.Visibility.PUBLIC) | Q(id__in=approved))


def offer_is_runnable_by(*, publisher_id: int, offer_id: int) -> bool:
    offer = Offer.objects.filter(id=offer_id).values("visibility").first()
    if offer is None:
        return False
    if offer["visibility"] == Offer.Visibility.PUBLIC:
        return True
    return OfferAccess.objects.filter(
        publisher_id=publisher_id, offer_id=offer_id, status=OfferAccess.Status.APPROVED
    ).exists()
