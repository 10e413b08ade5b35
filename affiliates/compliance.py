"""A publisher's side of compliance: accepting an offer's terms version, declaring sources.

Acceptance is recorded by the access services (offers/services.py) when the publisher asks
for an offer or is granted it: who, when and which version. The offer's current version is read
through the offer's own relation (`offer.terms_versions`), so this module imports no offers
code (affiliates sits below offers).
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from accounts.models import User
from accounts.policy import Action, policy_require
from accounts.selectors import user_role
from affiliates.models import Publisher, TermsAcceptance, TrafficSource
from core.errors import DomainError
from core.traffic_types import TRAFFIC_TYPES
from core.validation import Problems, check_url


def terms_accept(
    *, publisher: Publisher, offer: Any, how: str, accepted_by: User | None
) -> TermsAcceptance | None:
    """Record that `publisher` accepts the offer's current terms version (None: the offer has
    no terms yet). Once per version: asking again, or being granted after asking, keeps the
    first acceptance of that version."""
    terms = offer.terms_versions.order_by("-version").first()
    if terms is None:
        return None
    existing = TermsAcceptance.objects.filter(publisher=publisher, terms=terms).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return TermsAcceptance.objects.create(
                publisher=publisher,
                offer_id=offer.id,
                terms=terms,
                version=terms.version,
                how=how,
                accepted_by=accepted_by,
            )
    except IntegrityError:  # accepted at the same moment by another request
        return TermsAcceptance.objects.get(publisher=publisher, terms=terms)


def terms_acceptances_visible_to(*, user: User) -> QuerySet[TermsAcceptance]:
    """Managers and finance all; a publisher its own; an advertiser those for its offers."""
    rows = TermsAcceptance.objects.select_related("terms")
    role = user_role(user)
    if role in ("manager", "finance"):
        return rows
    if role == "publisher" and user.publisher_id:
        return rows.filter(publisher_id=user.publisher_id)
    if role == "advertiser" and user.advertiser_id:
        return rows.filter(offer__advertiser_id=user.advertiser_id)
    return rows.none()


# Traffic sources ------------------------------------------------------------------------------


def _source_check(source: TrafficSource) -> None:
    problems = Problems()
    if source.traffic_type not in TRAFFIC_TYPES:
        problems.add("traffic_type", "invalid", f"One of: {', '.join(sorted(TRAFFIC_TYPES))}.")
    check_url(problems, "url", source.url, known_macros=frozenset(), required=False)
    if not source.key or len(source.key) > 64:
        problems.add("key", "required", "A slug of up to 64 characters.")
    problems.raise_if_any()
    source.key = source.key.strip().lower()


def traffic_source_save(
    *, publisher: Publisher, by: User, fields: dict[str, Any], source: TrafficSource | None = None
) -> TrafficSource:
    """Declare (or edit) one of the publisher's traffic sources: the publisher's own users, or
    a manager (traffic_source.declare)."""
    policy_require(
        action=Action.TRAFFIC_SOURCE_DECLARE, user=by, facts={"publisher_id": publisher.id}
    )
    source = source or TrafficSource(publisher=publisher)
    for name, value in fields.items():
        setattr(source, name, value)
    _source_check(source)
    try:
        with transaction.atomic():
            source.save()
    except IntegrityError:
        raise DomainError.for_field(
            "key", "duplicate", "This publisher already has a source with this key."
        ) from None
    return source


def traffic_source_delete(*, source: TrafficSource, by: User) -> None:
    policy_require(
        action=Action.TRAFFIC_SOURCE_DECLARE, user=by, facts={"publisher_id": source.publisher_id}
    )
    source.delete()


def traffic_sources_visible_to(*, user: User) -> QuerySet[TrafficSource]:
    role = user_role(user)
    if role in ("manager", "finance"):
        return TrafficSource.objects.all()
    if role == "publisher" and user.publisher_id:
        return TrafficSource.objects.filter(publisher_id=user.publisher_id)
    return TrafficSource.objects.none()
