"""Smart links (tracking/smart_link_models.py): who may make them, and for which offers.

A publisher makes smart links for itself, over offers it may run; a manager for any publisher,
over offers that publisher may run. Whether the publisher may still run an offer is asked
again per visitor (each candidate's snapshot carries its access), so a revoked approval stops
the traffic within CLICK_LINK_CACHE_SECONDS without touching the smart link.
"""

import secrets
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from accounts.models import Role, User
from accounts.selectors import user_role
from affiliates.models import Publisher
from core.errors import DomainError, ForbiddenError
from core.macros import CLICK_MACROS
from core.validation import Problems, check_url
from offers.models import Offer
from offers.selectors import offer_is_runnable_by
from tracking.domains import tracking_domain_url
from tracking.models import SmartLink, SmartLinkOffer

MAX_OFFERS = 50


def smart_links_visible_to(*, user: User) -> QuerySet[SmartLink]:
    role = user_role(user)
    if role in (Role.MANAGER, Role.FINANCE):
        return SmartLink.objects.all()
    if role == Role.PUBLISHER and user.publisher_id:
        return SmartLink.objects.filter(publisher_id=user.publisher_id)
    return SmartLink.objects.none()


def smart_link_url(smart_link: SmartLink) -> str:
    return f"{tracking_domain_url(None)}/s/{smart_link.code}"


def _publisher_for(*, actor: User, publisher: Publisher | None) -> Publisher:
    role = user_role(actor)
    if role == Role.PUBLISHER:
        if publisher is not None and publisher.id != actor.publisher_id:
            raise ForbiddenError("forbidden", "You may only make smart links for yourself.")
        return actor.publisher
    if role == Role.MANAGER:
        if publisher is None:
            raise DomainError.for_field("publisher", "required", "Name the publisher.")
        return publisher
    raise ForbiddenError("forbidden", "Your role may not make smart links.")


def _offers_check(*, publisher_id: int, offers: list[Mapping[str, Any]]) -> None:
    if not offers:
        raise DomainError.for_field("offers", "required", "A smart link needs an offer.")
    if len(offers) > MAX_OFFERS:
        raise DomainError.for_field("offers", "too_many", f"At most {MAX_OFFERS} offers.")
    ids = [item["offer"].id for item in offers]
    if len(set(ids)) != len(ids):
        raise DomainError.for_field("offers", "duplicate", "Each offer once.")
    for offer_id in ids:
        # The same answer for a missing offer and one the publisher may not run.
        if not offer_is_runnable_by(publisher_id=publisher_id, offer_id=offer_id):
            raise DomainError.for_field(
                "offers", "not_runnable", f"No offer {offer_id} that this publisher may run."
            )
    currencies = set(Offer.objects.filter(id__in=ids).values_list("currency", flat=True))
    if len(currencies) > 1:
        raise DomainError.for_field(
            "offers", "currencies", "A smart link's offers share one currency (EPCs compare)."
        )


@transaction.atomic
def smart_link_save(
    *,
    actor: User,
    smart_link: SmartLink | None,
    fields: Mapping[str, Any],
) -> SmartLink:
    """Create (`smart_link` None) or change a smart link; `offers`, when given, replaces its
    list of [{"offer": Offer, "weight": int}]."""
    fields = dict(fields)
    offers = fields.pop("offers", None)
    publisher = fields.pop("publisher", None)
    if smart_link is None:
        owner = _publisher_for(actor=actor, publisher=publisher)
        smart_link = SmartLink(publisher=owner, code=secrets.token_urlsafe(9))
        if offers is None:
            raise DomainError.for_field("offers", "required", "A smart link needs an offer.")
    elif user_role(actor) not in (Role.MANAGER, Role.PUBLISHER):
        raise ForbiddenError("forbidden", "Your role may not change smart links.")
    for name, value in fields.items():
        setattr(smart_link, name, value)
    problems = Problems()
    check_url(
        problems, "fallback_url", smart_link.fallback_url, known_macros=CLICK_MACROS, required=False
    )
    problems.raise_if_any()
    if offers is not None:
        _offers_check(publisher_id=smart_link.publisher_id, offers=offers)
    try:
        with transaction.atomic():
            smart_link.save()
    except IntegrityError as exc:
        raise DomainError.for_field(
            "name", "duplicate", "This publisher already has a smart link of that name."
        ) from exc
    if offers is not None:
        SmartLinkOffer.objects.filter(smart_link=smart_link).delete()
        SmartLinkOffer.objects.bulk_create(
            SmartLinkOffer(smart_link=smart_link, offer=item["offer"], weight=item["weight"])
            for item in offers
        )
    return smart_link
