"""Who may act on payouts. Finance users move money; managers see everything but do not."""

from accounts.models import User
from config.errors import ForbiddenError


def require_finance(user: User) -> None:
    if not user.is_active or not user.is_finance:
        raise ForbiddenError("forbidden", "Only a finance user may do this.")
