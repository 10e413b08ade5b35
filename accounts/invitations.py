"""Invitations: a manager invites a person to be a user of one advertiser or publisher.

The money policy decides who may invite (`user.manage` with the role the user will get: managers
invite partner users only, superusers anyone the form offers). The token is 32 random bytes,
shown once in the email's link; the database keeps its SHA-256. Accepting is single use (the
row is locked, then marked with the user it made) and refused after `expires_at`.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Role, User
from accounts.policy import Action, policy_require
from accounts.services import user_create
from core.errors import DomainError

INVITABLE_ROLES = (Role.ADVERTISER.value, Role.PUBLISHER.value)


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    url: str  # carries the raw token: never stored, shown nowhere but the email


def invitation_create(
    *,
    by: User,
    email: str,
    role: str,
    advertiser_id: int | None = None,
    publisher_id: int | None = None,
) -> SentInvitation:
    """Invite `email` to be a `role` user of the advertiser or publisher; the email goes out
    once the row is committed."""
    if role not in INVITABLE_ROLES:
        raise DomainError.for_field("role", "invalid", "Invite advertiser or publisher users.")
    policy_require(action=Action.USER_MANAGE, user=by, facts={"target": None, "target_role": role})
    if role == Role.ADVERTISER and advertiser_id is None:
        raise DomainError.for_field("advertiser", "required", "Choose the advertiser.")
    if role == Role.PUBLISHER and publisher_id is None:
        raise DomainError.for_field("publisher", "required", "Choose the publisher.")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        advertiser_id=advertiser_id if role == Role.ADVERTISER else None,
        publisher_id=publisher_id if role == Role.PUBLISHER else None,
        token_hash=invitation_token_hash(token),
        invited_by=by,
        expires_at=timezone.now() + timedelta(hours=settings.INVITATION_VALID_HOURS),
    )
    url = settings.PORTAL_BASE_URL + reverse("portal:invitation-accept", args=[token])
    organisation = invitation.advertiser or invitation.publisher
    transaction.on_commit(
        lambda: send_mail(
            subject=f"You are invited to Affnet ({organisation})",
            message=(
                f"{by.get_full_name() or by.username} invited you to Affnet as a "
                f"{invitation.get_role_display().lower()} of {organisation}.\n\n"
                f"Choose your username and password here (the link works once, for "
                f"{settings.INVITATION_VALID_HOURS} hours):\n{url}\n"
            ),
            from_email=None,
            recipient_list=[email],
        )
    )
    return SentInvitation(invitation=invitation, url=url)


def invitation_open(*, token: str) -> Invitation:
    """The invitation this token names, if it can still be accepted; else a 404-like error."""
    invitation = (
        Invitation.objects.select_related("advertiser", "publisher")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
    if invitation is None or invitation.accepted_at is not None:
        raise DomainError(
            "invitation_invalid",
            "This invitation link is not valid or was already used.",
            status_code=404,
        )
    if invitation.expires_at <= timezone.now():
        raise DomainError(
            "invitation_expired",
            "This invitation has expired: ask your account manager for a new one.",
            status_code=410,
        )
    return invitation


def invitation_accept(*, token: str, username: str, password: str) -> User:
    """Make the invited user (active at once: a manager chose to invite it) and spend the
    token. The password is checked by the form (Django's validators) before this."""
    with transaction.atomic():
        invitation = invitation_open(token=token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:  # a second tab won the race
            raise DomainError(
                "invitation_invalid", "This invitation was already used.", status_code=404
            )
        user = user_create(
            username=username,
            role=invitation.role,
            password=password,
            email=invitation.email,
            advertiser_id=invitation.advertiser_id,
            publisher_id=invitation.publisher_id,
        )
        invitation.accepted_at = timezone.now()
        invitation.user = user
        invitation.save(update_fields=["accepted_at", "user"])
    return user


def invitations_visible_to(*, user: User):
    """Managers see every invitation (newest first); anyone else none."""
    if not getattr(user, "is_manager", False):
        return Invitation.objects.none()
    return Invitation.objects.select_related("advertiser", "publisher", "invited_by", "user")
