"""Writes for users. Roles decide scope; managers also get Django's admin (is_staff)."""

from accounts.models import Role, User
from config.errors import DomainError


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
