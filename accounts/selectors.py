"""Reads about users."""

from typing import Any

from accounts.models import Role


def user_role(user: Any) -> str | None:
    """The role that decides what a user sees; superusers count as managers; anonymous None."""
    if user is None or not user.is_authenticated:
        return None
    return Role.MANAGER.value if user.is_manager else str(user.role)
