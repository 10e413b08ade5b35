"""Reads about publishers and what they may run."""

from django.db.models import Q, QuerySet

from accounts.models import Role, User
from accounts.selectors import user_role
from affiliates.models import ApiKey, OfferAccess, PostbackTemplate, Publisher
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


def offer_access_of(*, publisher_id: int, offer_id: int) -> OfferAccess | None:
    """A publisher's request for (or approval to run) one offer, if it made one."""
    return OfferAccess.objects.filter(publisher_id=publisher_id, offer_id=offer_id).first()


def publishers_visible_to(*, user: User) -> QuerySet[Publisher]:
    """Staff see every publisher; a publisher user its own; advertisers none."""
    if user_role(user) in (Role.MANAGER, Role.FINANCE):
        return Publisher.objects.all()
    if user_role(user) == Role.PUBLISHER and user.publisher_id:
        return Publisher.objects.filter(id=user.publisher_id)
    return Publisher.objects.none()


def offer_accesses_visible_to(*, user: User) -> QuerySet[OfferAccess]:
    """Publishers see their requests; advertisers the requests for their offers (they decide
    them too); staff all."""
    if user_role(user) in (Role.MANAGER, Role.FINANCE):
        return OfferAccess.objects.all()
    if user_role(user) == Role.PUBLISHER and user.publisher_id:
        return OfferAccess.objects.filter(publisher_id=user.publisher_id)
    if user_role(user) == Role.ADVERTISER and user.advertiser_id:
        return OfferAccess.objects.filter(offer__advertiser_id=user.advertiser_id)
    return OfferAccess.objects.none()


def api_keys_visible_to(*, user: User) -> QuerySet[ApiKey]:
    """Managers see every key (prefix only); others the keys of their organisation's users."""
    if user_role(user) == Role.MANAGER:
        return ApiKey.objects.all()
    if user_role(user) == Role.PUBLISHER and user.publisher_id:
        return ApiKey.objects.filter(user__publisher_id=user.publisher_id)
    if user_role(user) == Role.ADVERTISER and user.advertiser_id:
        return ApiKey.objects.filter(user__advertiser_id=user.advertiser_id)
    if user_role(user) is None:
        return ApiKey.objects.none()
    return ApiKey.objects.filter(user_id=user.pk)


def postback_templates_visible_to(*, user: User) -> QuerySet[PostbackTemplate]:
    if user_role(user) in (Role.MANAGER, Role.FINANCE):
        return PostbackTemplate.objects.all()
    if user_role(user) == Role.PUBLISHER and user.publisher_id:
        return PostbackTemplate.objects.filter(publisher_id=user.publisher_id)
    return PostbackTemplate.objects.none()
