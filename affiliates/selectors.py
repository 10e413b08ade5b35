"""Reads about publishers and what they may run."""

from django.db.models import QuerySet

from accounts.models import Role, User
from accounts.selectors import user_role
from affiliates.models import ApiKey, OfferAccess, PostbackTemplate, Publisher


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
