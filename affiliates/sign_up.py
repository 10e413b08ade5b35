"""Publisher sign-up and its approval by a manager.

A sign-up makes a publisher in `pending` and its first user inactive: until a manager approves,
the user cannot sign in at all (so gets no link, key or balance), and a pending publisher's
clicks would go to the fallback anyway. Approval activates both; rejection suspends the
publisher and leaves its users inactive. Who may decide is the money policy's `user.manage`
for each of the publisher's users (managers and superusers: the users are partner users).
"""

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from accounts.policy import Action, policy_require
from accounts.services import user_create
from affiliates.models import Publisher
from affiliates.services import publisher_create
from core.errors import DomainError


def publisher_sign_up(
    *, company: str, username: str, email: str, password: str, address: str | None = None
) -> User:
    """A new publisher (pending) with its first user (inactive until approved). `address` is
    where the sign-up came from (fraud links publishers sharing one with a banned one)."""
    if User.objects.filter(username=username).exists():
        raise DomainError.for_field("username", "duplicate", "This username is taken.")
    with transaction.atomic():
        publisher = publisher_create(
            fields={
                "name": company,
                "status": Publisher.Status.PENDING,
                "signup_ip": address or None,
            }
        )
        user = user_create(
            username=username,
            role=Role.PUBLISHER,
            password=password,
            email=email,
            publisher_id=publisher.id,
        )
        user.is_active = False
        user.save(update_fields=["is_active"])
    return user


def publisher_sign_ups_pending() -> QuerySet[Publisher]:
    """Publishers waiting for a manager, oldest first, with their users."""
    return (
        Publisher.objects.filter(status=Publisher.Status.PENDING)
        .prefetch_related(Prefetch("users", queryset=User.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def publisher_sign_up_pending_for(*, username: str) -> bool:
    """Whether `username` belongs to a sign-up still waiting (the sign-in page says so)."""
    return User.objects.filter(
        username=username,
        is_active=False,
        role=Role.PUBLISHER,
        publisher__status=Publisher.Status.PENDING,
    ).exists()


def publisher_sign_up_decide(*, publisher_id: int, approve: bool, by: User) -> Publisher:
    """Approve (publisher active, its users active) or reject (publisher suspended)."""
    with transaction.atomic():
        publisher = Publisher.objects.select_for_update().filter(pk=publisher_id).first()
        if publisher is None:
            raise DomainError("not_found", "No such publisher.", status_code=404)
        users = list(User.objects.select_for_update().filter(publisher=publisher))
        # Activating a user is managing it: the policy must allow `by` each of them.
        policy_require(
            action=Action.USER_MANAGE, user=by, facts={"target": None, "target_role": "publisher"}
        )
        for user in users:
            policy_require(
                action=Action.USER_MANAGE,
                user=by,
                facts={"target": user, "target_role": str(user.role)},
            )
        if publisher.status != Publisher.Status.PENDING:
            raise DomainError(
                "not_pending",
                f"{publisher.name} was already decided ({publisher.status}).",
                status_code=409,
            )
        publisher.status = Publisher.Status.ACTIVE if approve else Publisher.Status.SUSPENDED
        publisher.updated_at = timezone.now()
        publisher.save(update_fields=["status", "updated_at"])
        if approve:
            for user in users:
                user.is_active = True
                user.save(update_fields=["is_active"])
        recipients = [user.email for user in users if user.email]
        if recipients:
            subject, body = (
                ("Your Affnet account is approved", "You can sign in now.")
                if approve
                else ("Your Affnet sign-up", "Your sign-up was not approved.")
            )
            transaction.on_commit(
                lambda: send_mail(
                    subject=subject,
                    message=f"{publisher.name}: {body}\n",
                    from_email=None,
                    recipient_list=recipients,
                )
            )
    return publisher
