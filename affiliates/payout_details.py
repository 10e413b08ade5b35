"""Where a publisher is paid: requests to change method and details, and their confirmation.

Method and details decide where money leaves the network, so nobody changes them alone: a
request is stored beside the values in force, and only a confirmation by another person
(accounts.policy: PAYOUT_DETAILS_CONFIRM, finance and not the requester) writes them to the
publisher, stamping `payout_details_changed_at`, from which batches hold the publisher out for
PAYOUT_DETAILS_COOLDOWN_HOURS. A newer request for the same publisher supersedes a pending one.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.policy import Action, policy_require
from affiliates.models import PayoutDetailsChange, Publisher
from core.decision_locks import pending_locked
from core.errors import DomainError, NotFoundError
from core.validation import Problems

# The payout set-up that is not "where the money goes", but still finance's alone.
PAYOUT_SETTINGS = frozenset({"payout_currency", "minimum_payout", "hold_days"})
# Where the money goes: only through a confirmed PayoutDetailsChange.
PAYOUT_DESTINATION = frozenset({"payout_method", "payout_details"})
DETAIL_MAX_LENGTH = 200


def _details_check(*, method: str, details: Any) -> dict[str, str]:
    problems = Problems()
    if method not in Publisher.PayoutMethod.values:
        problems.add(
            "payout_method", "invalid", f"One of: {', '.join(Publisher.PayoutMethod.values)}."
        )
    if not isinstance(details, Mapping):
        problems.add("payout_details", "invalid", "Must be an object.")
    elif any(
        not isinstance(key, str) or not isinstance(value, str) or len(value) > DETAIL_MAX_LENGTH
        for key, value in details.items()
    ):
        problems.add(
            "payout_details",
            "invalid",
            f"Keys and values must be text (values up to {DETAIL_MAX_LENGTH} characters).",
        )
    elif method in ("paypal", "wise") and "@" not in str(details.get("email", "")):
        problems.add("payout_details", "email_required", f"{method} needs an email.")
    problems.raise_if_any()
    return {key: value.strip() for key, value in details.items() if value.strip()}


def payout_details_change_request(
    *, publisher: Publisher, payout_method: str, payout_details: Any, requested_by: User
) -> PayoutDetailsChange:
    """Ask for the publisher to be paid by `payout_method` to `payout_details`. Nothing pays
    there until another person confirms. A pending request of the publisher is superseded."""
    policy_require(
        action=Action.PAYOUT_DETAILS_CHANGE,
        user=requested_by,
        facts={"publisher_id": publisher.id},
    )
    details = _details_check(method=payout_method, details=payout_details)
    with transaction.atomic():
        current = Publisher.objects.select_for_update().get(id=publisher.id)
        if current.payout_method == payout_method and current.payout_details == details:
            raise DomainError.for_field(
                "payout_details", "unchanged", "These are the payout details already in force."
            )
        PayoutDetailsChange.objects.filter(
            publisher=current, state=PayoutDetailsChange.State.PENDING
        ).update(state=PayoutDetailsChange.State.SUPERSEDED)
        return PayoutDetailsChange.objects.create(
            publisher=current,
            old_payout_method=current.payout_method,
            old_payout_details=current.payout_details,
            new_payout_method=payout_method,
            new_payout_details=details,
            requested_by=requested_by,
        )


def payout_details_change_confirm(*, change_id: int, confirmed_by: User) -> PayoutDetailsChange:
    """Put a pending change in force. Refused to its requester (a second person confirms), and
    refused if the publisher's details moved since it was asked (the confirmer saw old values
    that are no longer the ones replaced)."""
    with transaction.atomic():
        requested_by_id = (
            PayoutDetailsChange.objects.filter(id=change_id)
            .values_list("requested_by_id", flat=True)
            .first()
        )
        if requested_by_id is None:
            raise NotFoundError("not_found", f"No payout details change {change_id}.")
        policy_require(
            action=Action.PAYOUT_DETAILS_CONFIRM,
            user=confirmed_by,
            facts={"requested_by_id": requested_by_id},
        )
        change = pending_locked(PayoutDetailsChange, change_id, label="payout details change")
        publisher = Publisher.objects.select_for_update().get(id=change.publisher_id)
        if (publisher.payout_method, publisher.payout_details) != (
            change.old_payout_method,
            change.old_payout_details,
        ):
            raise DomainError(
                "stale_change",
                "The publisher's payout details changed since this was asked: ask again.",
                status_code=409,
            )
        now = timezone.now()
        publisher.payout_method = change.new_payout_method
        publisher.payout_details = change.new_payout_details
        publisher.payout_details_changed_at = now
        publisher.save(
            update_fields=[
                "payout_method",
                "payout_details",
                "payout_details_changed_at",
                "updated_at",
            ]
        )
        change.state = PayoutDetailsChange.State.CONFIRMED
        change.decided_by = confirmed_by
        change.decided_at = now
        try:
            with transaction.atomic():
                change.save(update_fields=["state", "decided_by", "decided_at"])
        except IntegrityError:  # the database's own four-eyes check
            raise DomainError(
                "forbidden", "A change is confirmed by someone else.", status_code=403
            ) from None
    return change


def payout_details_change_reject(*, change_id: int, rejected_by: User) -> PayoutDetailsChange:
    """Refuse a pending change (finance), or withdraw one's own publisher's request."""
    with transaction.atomic():
        change = pending_locked(PayoutDetailsChange, change_id, label="payout details change")
        policy_require(
            action=Action.PAYOUT_DETAILS_CHANGE,
            user=rejected_by,
            facts={"publisher_id": change.publisher_id},
        )
        change.state = PayoutDetailsChange.State.REJECTED
        change.decided_by = rejected_by
        change.decided_at = timezone.now()
        change.save(update_fields=["state", "decided_by", "decided_at"])
    return change


def payout_settings_check(*, user: User, publisher_id: int, fields: Mapping[str, Any]) -> None:
    """Currency, minimum payout and hold days are finance's to set (PAYOUT_SETTINGS_CHANGE);
    method and details are never set directly, only through a confirmed change."""
    direct = sorted(PAYOUT_DESTINATION & set(fields))
    if direct:
        raise DomainError(
            "confirmation_required",
            "Payout method and details change through a payout details change that another "
            "person confirms (POST /api/v1/payout-details-changes/).",
            fields={
                name: ["Changed only through a confirmed payout details change."] for name in direct
            },
        )
    if PAYOUT_SETTINGS & set(fields):
        policy_require(
            action=Action.PAYOUT_SETTINGS_CHANGE, user=user, facts={"publisher_id": publisher_id}
        )


# Reads ----------------------------------------------------------------------------------------


def payout_details_changes_visible_to(*, user: User) -> QuerySet[PayoutDetailsChange]:
    """Finance and managers see every request; a publisher user its own publisher's."""
    changes = PayoutDetailsChange.objects.select_related("publisher", "requested_by", "decided_by")
    if user.is_authenticated and user.is_active and (user.is_finance or user.is_manager):
        return changes
    if user.is_authenticated and user.is_active and user.publisher_id:
        return changes.filter(publisher_id=user.publisher_id)
    return changes.none()


def payout_details_requesters_since(
    *, publisher_ids: list[int], since: Mapping[int, datetime | None]
) -> set[int]:
    """Users who asked to change the payout details of any of these publishers after the
    publisher's `since` time (all time when None): authors of where a batch's money goes."""
    authors: set[int] = set()
    rows = PayoutDetailsChange.objects.filter(publisher_id__in=publisher_ids).values_list(
        "publisher_id", "requested_by_id", "requested_at"
    )
    for publisher_id, requested_by_id, requested_at in rows:
        after = since.get(publisher_id)
        if after is None or requested_at > after:
            authors.add(requested_by_id)
    return authors
