"""Reads about users."""

from typing import Any

from django.db.models import QuerySet

from accounts.models import Role, StaffChange


def user_role(user: Any) -> str | None:
    """The role that decides what a user sees; superusers count as managers; anonymous None."""
    if user is None or not user.is_authenticated:
        return None
    return Role.MANAGER.value if user.is_manager else str(user.role)


def staff_changes_visible_to(*, user: Any) -> QuerySet[StaffChange]:
    """Staff see the requests (finance to confirm them, managers and superusers to follow them);
    partners none."""
    if user_role(user) in (Role.MANAGER, Role.FINANCE):
        return StaffChange.objects.select_related("target", "requested_by", "confirmed_by")
    return StaffChange.objects.none()
