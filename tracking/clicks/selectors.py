"""Reads of links and clicks, scoped to what a user's role may see.

A publisher sees its own; an advertiser sees those of its offers; managers and finance see all.
Anyone else (no role) sees nothing.
"""

from django.db.models import QuerySet

from accounts.models import Role, User
from accounts.selectors import user_role
from offers.models import Offer
from tracking.models import Click, TrackingLink

STAFF = frozenset({Role.MANAGER, Role.FINANCE})


def links_visible_to(*, user: User) -> QuerySet[TrackingLink]:
    links = TrackingLink.objects.select_related("offer", "publisher")
    role = user_role(user)
    if role in STAFF:
        return links
    if role == Role.PUBLISHER:
        return links.filter(publisher_id=user.publisher_id)
    if role == Role.ADVERTISER:
        return links.filter(offer__advertiser_id=user.advertiser_id)
    return links.none()


def clicks_visible_to(*, user: User) -> QuerySet[Click]:
    role = user_role(user)
    if role in STAFF:
        return Click.objects.all()
    if role == Role.PUBLISHER:
        return Click.objects.filter(publisher_id=user.publisher_id)
    if role == Role.ADVERTISER:
        offers = Offer.objects.filter(advertiser_id=user.advertiser_id).values("id")
        return Click.objects.filter(offer_id__in=offers)
    return Click.objects.none()
