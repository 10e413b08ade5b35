"""An offer's compliance terms: the traffic it allows and forbids, and the text publishers
accept. Each write publishes a new version; a version is never changed (the database refuses:
offers migration 0005), so an acceptance always names the words the publisher saw."""

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet

from accounts.models import User
from accounts.policy import Action, policy_require
from accounts.selectors import user_role
from core.errors import DomainError
from core.traffic_types import TRAFFIC_TYPES
from offers.models import Offer, OfferTerms
from offers.selectors import offers_visible_to

_TEXT_MAX = 50_000


def _types(problems: dict[str, list[str]], name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or any(not isinstance(item, str) for item in value):
        problems[name] = ["A list of traffic types."]
        return []
    unknown = sorted(set(value) - TRAFFIC_TYPES)
    if unknown:
        problems[name] = [
            f"Unknown: {', '.join(unknown)}. One of: {', '.join(sorted(TRAFFIC_TYPES))}."
        ]
    return sorted(set(value))


def offer_terms_publish(
    *,
    offer: Offer,
    by: User,
    allowed_traffic: Iterable[str] | None = None,
    forbidden_traffic: Iterable[str] | None = None,
    text: str = "",
) -> OfferTerms:
    """Publish the next version of an offer's terms (managers: offer.compliance_set)."""
    policy_require(
        action=Action.OFFER_COMPLIANCE_SET, user=by, facts={"advertiser_id": offer.advertiser_id}
    )
    problems: dict[str, list[str]] = {}
    allowed = _types(problems, "allowed_traffic", list(allowed_traffic or []))
    forbidden = _types(problems, "forbidden_traffic", list(forbidden_traffic or []))
    both = sorted(set(allowed) & set(forbidden))
    if both:
        problems["forbidden_traffic"] = [f"Both allowed and forbidden: {', '.join(both)}."]
    if not isinstance(text, str) or len(text) > _TEXT_MAX:
        problems["text"] = [f"Text of at most {_TEXT_MAX} characters."]
    if problems:
        raise DomainError(
            "invalid", "Invalid input in: " + ", ".join(sorted(problems)) + ".", fields=problems
        )
    try:
        with transaction.atomic():
            latest = OfferTerms.objects.filter(offer=offer).aggregate(v=Max("version"))["v"]
            return OfferTerms.objects.create(
                offer=offer,
                version=(latest or 0) + 1,
                allowed_traffic=allowed,
                forbidden_traffic=forbidden,
                text=text.strip(),
                published_by=by,
            )
    except IntegrityError:  # two publishers of the same offer at once: the second asks again
        raise DomainError(
            "conflict",
            "Another version was published at the same moment: try again.",
            status_code=409,
        ) from None


def offer_terms_current(*, offer_id: int) -> OfferTerms | None:
    return OfferTerms.objects.filter(offer_id=offer_id).order_by("-version").first()


def offer_terms_visible_to(*, user: User) -> QuerySet[OfferTerms]:
    """Every version of the terms of offers the user can see: managers and finance all, an
    advertiser its own offers', a publisher those of the offers listed to it (to read before it
    asks for access)."""
    if user_role(user) is None:
        return OfferTerms.objects.none()
    return OfferTerms.objects.filter(offer__in=offers_visible_to(user=user))
