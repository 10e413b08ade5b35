"""Reads, scoped by who asks. Every API list and detail starts from one of these.

Rows outside a user's scope are simply absent, so a foreign id answers 404 like a missing one.
Roles: managers see everything; finance reads everything here; an advertiser user sees its own
advertiser's rows; a publisher user sees offers it may run or request, never revenue (the API
hides those fields), and no advertiser rows, terms or caps.
"""

from django.db.models import Q, QuerySet

from accounts.models import Role, User
from accounts.selectors import user_role
from affiliates.models import OfferAccess, Publisher
from offers.models import Advertiser, Cap, Goal, Offer, PublisherOverride, Terms


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


def user_sees_all(user: User) -> bool:
    """Managers (and superusers) and finance read every row of these models."""
    return user_role(user) in (Role.MANAGER, Role.FINANCE)


def advertisers_visible_to(*, user: User) -> QuerySet[Advertiser]:
    if user_sees_all(user):
        return Advertiser.objects.all()
    if user_role(user) == Role.ADVERTISER:
        return Advertiser.objects.filter(id=user.advertiser_id)
    return Advertiser.objects.none()


def offers_visible_to(*, user: User) -> QuerySet[Offer]:
    """A publisher sees what it may run plus `approval` offers it may ask for; a private offer
    stays invisible until approved for it, even if it has a pending request."""
    if user_sees_all(user):
        return Offer.objects.all()
    if user_role(user) == Role.ADVERTISER:
        return Offer.objects.filter(advertiser_id=user.advertiser_id)
    if user_role(user) == Role.PUBLISHER and user.publisher_id:
        runnable = offers_runnable_by(publisher=user.publisher).values("id")
        return Offer.objects.filter(Q(id__in=runnable) | Q(visibility=Offer.Visibility.APPROVAL))
    return Offer.objects.none()


def offer_visible_to(*, user: User, offer_id: int) -> Offer | None:
    """One offer if `user` may see it (`offers_visible_to`), else None: the caller answers 404."""
    return offers_visible_to(user=user).filter(id=offer_id).first()


def goals_visible_to(*, user: User) -> QuerySet[Goal]:
    return Goal.objects.filter(offer__in=offers_visible_to(user=user).values("id"))


def terms_visible_to(*, user: User) -> QuerySet[Terms]:
    """Terms carry revenue: never publishers (they read their payout on the offer)."""
    if user_role(user) == Role.PUBLISHER:
        return Terms.objects.none()
    return Terms.objects.filter(goal__offer__in=offers_visible_to(user=user).values("id")).order_by(
        "id"
    )


def overrides_visible_to(*, user: User) -> QuerySet[PublisherOverride]:
    """Publisher-specific payouts: staff, and the publisher itself. Advertisers do not see
    what each publisher is paid."""
    if user_sees_all(user):
        return PublisherOverride.objects.all()
    if user_role(user) == Role.PUBLISHER and user.publisher_id:
        return PublisherOverride.objects.filter(publisher_id=user.publisher_id)
    return PublisherOverride.objects.none()


def caps_visible_to(*, user: User) -> QuerySet[Cap]:
    """An advertiser sees its offers' caps except those counting payout: their limit and when
    they fill would tell it what publishers are paid."""
    if user_sees_all(user):
        return Cap.objects.all()
    if user_role(user) == Role.ADVERTISER:
        return Cap.objects.filter(offer__advertiser_id=user.advertiser_id).exclude(
            metric=Cap.Metric.PAYOUT
        )
    return Cap.objects.none()
