"""Revenue-cut requests (offers/revenue_cuts.py): an advertiser asks, a manager decides.

An advertiser may raise what it pays on its own goals, but a cut (or another kind) on a live
offer is the network's decision (accounts/policy.py `revenue_not_cut_live`): publishers run the
offer on those terms and the margin is payout below revenue. So the advertiser asks here; the
request keeps the revenue in force when it was asked beside the figures proposed, and a manager
approves (REVENUE_CUT_DECIDE) or rejects it with a reason.

An approval writes the proposed figures through `terms_update` as the manager (the terms' audit
entry names them), so it applies to conversions attributed afterwards only: each conversion keeps
the terms frozen at its attribution. It is refused if the goal's revenue moved since the request
(the advertiser asked to go from what it saw, not from what is there now).
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.notifications import notify, recipients
from accounts.policy import Action, policy_require
from accounts.selectors import user_role
from core.decision_locks import pending_locked
from core.errors import DomainError, ForbiddenError, NotFoundError
from offers.models import Goal, Terms
from offers.revenue_cuts import RevenueCutRequest
from offers.services import REVENUE_FIELDS, terms_revenue_proposed, terms_update

REASON_MAX_LENGTH = 1000
LABEL = "revenue cut request"
MANAGER_PAGE = "/network/revenue-cuts/"


def _figures(*, kind: str, amount: Decimal, percent: Decimal, currency: str) -> str:
    said = [f"{amount.normalize():f} {currency}"] if amount else []
    if percent:
        said.append(f"{percent.normalize():f} %")
    return f"{kind} {' + '.join(said) or '0'}"


def revenue_cut_was(cut: RevenueCutRequest) -> str:
    """The revenue in force when it was asked, in words ("cpa_flat 10 USD")."""
    return _figures(
        kind=cut.was_revenue_kind,
        amount=cut.was_revenue_amount,
        percent=cut.was_revenue_percent,
        currency=cut.currency,
    )


def revenue_cut_proposed(cut: RevenueCutRequest) -> str:
    """The revenue asked for, in words."""
    return _figures(
        kind=cut.revenue_kind,
        amount=cut.revenue_amount,
        percent=cut.revenue_percent,
        currency=cut.currency,
    )


def _reason_clean(reason: str, *, field: str, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise DomainError.for_field(field, "required", "Give a reason.")
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError.for_field(field, "too_long", f"At most {REASON_MAX_LENGTH} characters.")
    return reason


def revenue_cut_request(
    *, goal: Goal, fields: Mapping[str, Any], reason: str = "", requested_by: Any
) -> RevenueCutRequest:
    """The offer's advertiser asks the network to set `fields` (revenue kind, amount, percent)
    on a goal of its live offer. The figures are checked as a save would check them; nothing is
    written to the terms. The goal's pending request, if any, is withdrawn by this newer one.
    Managers are told."""
    offer = goal.offer
    if (
        user_role(requested_by) != "advertiser"
        or getattr(requested_by, "advertiser_id", None) != offer.advertiser_id
    ):
        raise ForbiddenError("forbidden", "Only the offer's advertiser asks to change its revenue.")
    reason = _reason_clean(reason, field="reason", required=False)
    asked = {name: fields[name] for name in REVENUE_FIELDS if name in fields}
    with transaction.atomic():
        terms = Terms.objects.select_for_update().filter(goal_id=goal.pk).first()
        if terms is None:
            raise DomainError.for_field(
                "revenue_kind", "terms_not_set", "This goal has no revenue yet: set it yourself."
            )
        terms.goal = goal
        proposed = terms_revenue_proposed(terms=terms, fields=asked)
        now = timezone.now()
        RevenueCutRequest.objects.filter(
            goal_id=goal.pk, state=RevenueCutRequest.State.PENDING
        ).update(state=RevenueCutRequest.State.WITHDRAWN, decided_by=requested_by, decided_at=now)
        cut = RevenueCutRequest.objects.create(
            offer=offer,
            goal=goal,
            currency=offer.currency,
            revenue_kind=proposed.revenue_kind,
            revenue_amount=proposed.revenue_amount,
            revenue_percent=proposed.revenue_percent,
            was_revenue_kind=terms.revenue_kind,
            was_revenue_amount=terms.revenue_amount,
            was_revenue_percent=terms.revenue_percent,
            reason=reason,
            requested_by=requested_by,
        )
        notify(
            users=recipients(roles=["manager"]),
            kind="revenue_cut_asked",
            text=(
                f"{offer.advertiser.name} asks to lower its revenue on {offer.name}, goal "
                f"{goal.name}: from {revenue_cut_was(cut)} to {revenue_cut_proposed(cut)} "
                "(new conversions only)."
            ),
            url=f"{MANAGER_PAGE}#cut-{cut.pk}",
        )
    return cut


def _decided_tell(cut: RevenueCutRequest, *, said: str) -> None:
    notify(
        users=recipients(advertiser_id=cut.offer.advertiser_id),
        kind="revenue_cut_decided",
        text=(
            f"Your request to set the revenue of {cut.offer.name}, goal {cut.goal.name}, to "
            f"{revenue_cut_proposed(cut)} was {said}"
        ),
        url=f"/advertiser/offers/{cut.offer_id}/#goal-{cut.goal_id}",
    )


def revenue_cut_approve(*, request_id: int, approved_by: Any) -> RevenueCutRequest:
    """Put a pending request's figures in force (a manager's decision): written through
    `terms_update`, so conversions attributed from now on earn the new revenue and earlier ones
    keep theirs. Refused (409 `stale_request`) if the goal's revenue is no longer the one in
    force when it was asked; a decided request is 409 `not_pending`, so a repeat changes
    nothing."""
    policy_require(action=Action.REVENUE_CUT_DECIDE, user=approved_by)
    with transaction.atomic():
        cut = pending_locked(RevenueCutRequest, request_id, label=LABEL)
        terms = Terms.objects.select_for_update().filter(goal_id=cut.goal_id).first()
        was = (cut.was_revenue_kind, cut.was_revenue_amount, cut.was_revenue_percent)
        if (
            terms is None
            or (terms.revenue_kind, terms.revenue_amount, terms.revenue_percent) != was
        ):
            raise DomainError(
                "stale_request",
                "The goal's revenue changed since this was asked: reject it, and the advertiser "
                "asks again from the revenue in force.",
                status_code=409,
            )
        terms_update(
            terms=terms,
            fields={
                "revenue_kind": cut.revenue_kind,
                "revenue_amount": cut.revenue_amount,
                "revenue_percent": cut.revenue_percent,
            },
            actor=approved_by,
        )
        cut.state = RevenueCutRequest.State.APPROVED
        cut.decided_by = approved_by
        cut.decided_at = timezone.now()
        cut.save(update_fields=["state", "decided_by", "decided_at"])
        _decided_tell(cut, said="approved: it applies to new conversions from now on.")
    return cut


def revenue_cut_reject(*, request_id: int, rejected_by: Any, reason: str) -> RevenueCutRequest:
    """Refuse a pending request, saying why (the advertiser is told); the terms stay."""
    policy_require(action=Action.REVENUE_CUT_DECIDE, user=rejected_by)
    reason = _reason_clean(reason, field="rejection_reason", required=True)
    with transaction.atomic():
        cut = pending_locked(RevenueCutRequest, request_id, label=LABEL)
        cut.state = RevenueCutRequest.State.REJECTED
        cut.rejection_reason = reason
        cut.decided_by = rejected_by
        cut.decided_at = timezone.now()
        cut.save(update_fields=["state", "rejection_reason", "decided_by", "decided_at"])
        _decided_tell(cut, said=f"rejected: {reason}")
    return cut


def revenue_cut_withdraw(*, request_id: int, withdrawn_by: Any) -> RevenueCutRequest:
    """The requesting advertiser takes its pending request back."""
    with transaction.atomic():
        cut = pending_locked(RevenueCutRequest, request_id, label=LABEL)
        offer_advertiser_id = cut.offer.advertiser_id
        if (
            user_role(withdrawn_by) != "advertiser"
            or withdrawn_by.advertiser_id != offer_advertiser_id
        ):
            raise ForbiddenError("forbidden", "Only the offer's advertiser withdraws its request.")
        cut.state = RevenueCutRequest.State.WITHDRAWN
        cut.decided_by = withdrawn_by
        cut.decided_at = timezone.now()
        cut.save(update_fields=["state", "decided_by", "decided_at"])
    return cut


# Reads ----------------------------------------------------------------------------------------


def revenue_cuts_visible_to(*, user: Any) -> QuerySet[RevenueCutRequest]:
    """Managers see every request; an advertiser user its own advertiser's; others none."""
    rows = RevenueCutRequest.objects.select_related(
        "offer", "offer__advertiser", "goal", "requested_by", "decided_by"
    )
    role = user_role(user) if user is not None and user.is_active else None
    if role == "manager":
        return rows
    if role == "advertiser" and user.advertiser_id:
        return rows.filter(offer__advertiser_id=user.advertiser_id)
    return rows.none()


def revenue_cut_pending_of(*, goal_ids: list[int]) -> dict[int, RevenueCutRequest]:
    """The pending request of each of these goals, by goal id."""
    rows = RevenueCutRequest.objects.filter(
        goal_id__in=goal_ids, state=RevenueCutRequest.State.PENDING
    ).select_related("requested_by")
    return {row.goal_id: row for row in rows}


def revenue_cut_visible(*, user: Any, request_id: int) -> RevenueCutRequest:
    """One request the user may see, else 404."""
    cut = revenue_cuts_visible_to(user=user).filter(id=request_id).first()
    if cut is None:
        raise NotFoundError("not_found", f"No {LABEL} {request_id}.")
    return cut
