"""Writes for publishers, API keys and postback templates. Access to offers is written by
offers/services.py: it reads the offer, and offers sit above affiliates (docs/design.md, "Layers").

Like offers.services: apply the fields, check the whole row, raise one DomainError naming each
bad field before writing anything.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import User
from affiliates.keys import MintedKey, api_key_create, api_key_revoke
from affiliates.models import ApiKey, PostbackTemplate, Publisher
from core.errors import DomainError
from core.macros import POSTBACK_MACROS
from core.validation import Problems, check_currency, check_url


def _apply(instance: Any, fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)


# Publishers ----------------------------------------------------------------------------------


def publisher_check(publisher: Publisher) -> None:
    problems = Problems()
    if not (publisher.name or "").strip():
        problems.add("name", "required", "This field is required.")
    check_currency(problems, "payout_currency", publisher.payout_currency)
    if publisher.minimum_payout is None or publisher.minimum_payout < 0:
        problems.add("minimum_payout", "negative_amount", "Must not be negative.")
    if not isinstance(publisher.payout_details, dict):
        problems.add("payout_details", "invalid", "Must be an object.")
    problems.raise_if_any()


def publisher_create(*, fields: Mapping[str, Any]) -> Publisher:
    publisher = Publisher()
    _apply(publisher, fields)
    publisher_check(publisher)
    publisher.save()
    return publisher


def publisher_update(*, publisher: Publisher, fields: Mapping[str, Any]) -> Publisher:
    _apply(publisher, fields)
    publisher_check(publisher)
    publisher.save()
    return publisher


# API keys ------------------------------------------------------------------------------------


def user_api_key_create(*, user: User, name: str = "") -> MintedKey:
    """The raw key is in the result and nowhere else: we store its SHA-256 and a prefix.

    Active keys per user are capped (API_KEYS_PER_USER): a key is a standing credential, and a
    user holding hundreds cannot tell which one leaked. Revoking one frees its place."""
    if not user.is_active:
        raise DomainError.for_field("user", "inactive_user", "The user is inactive.")
    with transaction.atomic():
        # The user row is the lock: two mints at once cannot both see room for one more.
        User.objects.select_for_update().filter(pk=user.pk).first()
        limit = settings.API_KEYS_PER_USER
        if ApiKey.objects.filter(user_id=user.pk, revoked_at__isnull=True).count() >= limit:
            raise DomainError(
                "api_key_limit",
                f"This user holds {limit} active API keys, the most allowed: revoke one first.",
                status_code=409,
            )
        return api_key_create(user=user, name=name)


def user_api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Effective at once: authentication reads the row on every request (no cache)."""
    api_key_revoke(api_key=api_key)
    api_key.refresh_from_db()
    return api_key


# Postback templates --------------------------------------------------------------------------


def template_check(template: PostbackTemplate) -> None:
    problems = Problems()
    check_url(problems, "url", template.url, known_macros=POSTBACK_MACROS, required=True)
    scope = template.scope
    if scope == PostbackTemplate.Scope.GLOBAL and (template.offer_id or template.goal_id):
        problems.add("scope", "scope_mismatch", "A global template names no offer or goal.")
    if scope == PostbackTemplate.Scope.OFFER:
        if not template.offer_id:
            problems.add("offer", "required", "Required for scope offer.")
        if template.goal_id:
            problems.add("goal", "scope_mismatch", "An offer template names no goal.")
    if scope == PostbackTemplate.Scope.GOAL:
        if not template.goal_id:
            problems.add("goal", "required", "Required for scope goal.")
        elif template.offer_id and template.goal.offer_id != template.offer_id:
            problems.add("goal", "goal_not_in_offer", "The goal does not belong to this offer.")
    events = template.events
    valid_events = PostbackTemplate.Event.values
    if not isinstance(events, list) or not events or any(e not in valid_events for e in events):
        problems.add("events", "invalid", f"A non-empty list of: {', '.join(valid_events)}.")
    problems.raise_if_any()
    if scope == PostbackTemplate.Scope.GOAL and not template.offer_id:
        template.offer_id = template.goal.offer_id


def postback_template_create(
    *, publisher: Publisher, fields: Mapping[str, Any]
) -> PostbackTemplate:
    template = PostbackTemplate(publisher=publisher)
    _apply(template, fields)
    template_check(template)
    template.save()
    return template


def postback_template_update(
    *, template: PostbackTemplate, fields: Mapping[str, Any]
) -> PostbackTemplate:
    _apply(template, fields)
    template_check(template)
    template.save()
    return template
