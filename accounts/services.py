"""Writes for users. Roles decide scope; managers also get Django's admin (is_staff).

`user_create` is the trusted writer (seeding, the shell); people managing users through the
admin go through `user_save`, which asks the policy and holds new finance users for a finance
confirmation (`staff_change_request` / `staff_change_confirm`).
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, StaffChange, User
from accounts.policy import Action, policy_allows, policy_require
from core.errors import DomainError


def user_create(
    *,
    username: str,
    role: str,
    password: str | None = None,
    email: str = "",
    advertiser_id: int | None = None,
    publisher_id: int | None = None,
    is_superuser: bool = False,
) -> User:
    """A user of `role`. Managers are made staff so they can use /admin/ (which requires
    is_staff); finance, advertiser and publisher users work through the API only."""
    if role not in Role.values:
        raise DomainError.for_field("role", "invalid", f"Must be one of: {', '.join(Role.values)}.")
    if role == Role.ADVERTISER and advertiser_id is None:
        raise DomainError.for_field("advertiser", "required", "Advertiser users need one.")
    if role == Role.PUBLISHER and publisher_id is None:
        raise DomainError.for_field("publisher", "required", "Publisher users need one.")
    if User.objects.filter(username=username).exists():
        raise DomainError.for_field("username", "duplicate", "This username is taken.")
    user = User(
        username=username,
        email=email,
        role=role,
        advertiser_id=advertiser_id if role == Role.ADVERTISER else None,
        publisher_id=publisher_id if role == Role.PUBLISHER else None,
        is_staff=role == Role.MANAGER or is_superuser,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def user_may_manage(*, by: User, target: User | None, role: str | None) -> bool:
    """Whether `by` may create (target None), edit, reset or re-role `target` as `role`."""
    return policy_allows(
        action=Action.USER_MANAGE, user=by, facts={"target": target, "target_role": role}
    )


def user_manages_staff(*, by: User) -> bool:
    """Staff (managers, finance, superusers, permissions) are managed by superusers only."""
    return user_may_manage(by=by, target=None, role=Role.MANAGER)


def user_save(*, user: User, by: User) -> StaffChange | None:
    """Save `user` (new, or edited in memory) as `by` asked, if the policy lets `by` manage it.

    A user becoming an active finance user (created, turned finance, or re-activated) is saved
    inactive and waits for a finance user's confirmation: the returned StaffChange.
    """
    original = User.objects.filter(pk=user.pk).first() if user.pk else None
    policy_require(
        action=Action.USER_MANAGE, user=by, facts={"target": original, "target_role": user.role}
    )
    user.is_staff = user.role == Role.MANAGER or user.is_superuser
    becomes_finance = (
        user.role == Role.FINANCE
        and user.is_active
        and (original is None or original.role != Role.FINANCE or not original.is_active)
    )
    with transaction.atomic():
        if becomes_finance:
            user.is_active = False
        user.save()
        if becomes_finance:
            return staff_change_request(target=user, kind=StaffChange.Kind.CREATE, by=by)
    return None


def user_password_reset(*, user: User, password_hash: str, by: User) -> StaffChange | None:
    """Give `user` the password whose hash is `password_hash`; a finance user's waits for a
    finance confirmation (its old password works until then)."""
    policy_require(
        action=Action.USER_MANAGE, user=by, facts={"target": user, "target_role": user.role}
    )
    if user.role == Role.FINANCE:
        return staff_change_request(
            target=user, kind=StaffChange.Kind.RESET, by=by, password_hash=password_hash
        )
    user.password = password_hash
    user.save(update_fields=["password"])
    return None


def staff_change_request(
    *, target: User, kind: str, by: User, password_hash: str = ""
) -> StaffChange:
    """A pending change for `target`, replacing any request still pending for it."""
    with transaction.atomic():
        StaffChange.objects.filter(target=target, state=StaffChange.State.PENDING).update(
            state=StaffChange.State.CANCELLED, decided_at=timezone.now()
        )
        if kind == StaffChange.Kind.CREATE and target.is_active:
            target.is_active = False
            target.save(update_fields=["is_active"])
        return StaffChange.objects.create(
            target=target, kind=kind, requested_by=by, password_hash=password_hash
        )


def staff_change_confirm(*, change_id: int, by: User) -> StaffChange:
    """A finance user other than the requester and the target confirms; the change applies."""
    with transaction.atomic():
        change = StaffChange.objects.select_for_update().select_related("target").get(pk=change_id)
        policy_require(
            action=Action.USER_STAFF_CONFIRM,
            user=by,
            facts={"requested_by_id": change.requested_by_id, "target_id": change.target_id},
        )
        if change.state != StaffChange.State.PENDING:
            raise DomainError(
                "not_pending", f"This request is already {change.state}.", status_code=409
            )
        target = change.target
        if change.kind == StaffChange.Kind.CREATE:
            target.is_active = True
            target.save(update_fields=["is_active"])
        else:
            target.password = change.password_hash
            target.save(update_fields=["password"])
        change.state = StaffChange.State.CONFIRMED
        change.confirmed_by = by
        change.decided_at = timezone.now()
        change.save(update_fields=["state", "confirmed_by", "decided_at"])
    return change
