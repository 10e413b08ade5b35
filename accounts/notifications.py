"""Notifications: `notify` writes one row per recipient (the portal's list) and emails those
who want that kind by email, after commit, through a Celery task (accounts/tasks.py).

Services of every layer call `notify` (this module sits in accounts, below them all) with the
users to tell, found by `recipients`: a role, an advertiser's or a publisher's users. A
notification is a courtesy, never part of the money's truth: it is written in the caller's
transaction (so a rolled-back change tells nobody) and its email is sent after the commit.
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Notification, NotificationPreference, Role, User
from accounts.tasks import notification_emails_send

# kind: what the preferences page calls it
KINDS = {
    "access_request": "A publisher asks for access to an offer",
    "access_decision": "Your access request to an offer is decided",
    "conversion_held": "Conversions are held for review",
    "batch_waiting": "A payout batch waits for approval",
    "payout_sent": "A payout is sent",
    "postback_failing": "Your postbacks keep failing",
    "cap_reached": "An offer's cap is reached",
    "validation_done": "A validation file is applied",
    "revenue_cut_asked": "An advertiser asks to lower what it pays on a live offer",
    "revenue_cut_decided": "Your request to lower what you pay is decided",
    "tax_form_expiring": "Your tax form is about to expire",
}


def recipients(
    *,
    roles: Iterable[str] = (),
    advertiser_id: int | None = None,
    publisher_id: int | None = None,
    exclude_ids: Iterable[int] = (),
) -> QuerySet[User]:
    """Active users in any of `roles` (superusers count as managers), or of the advertiser or
    publisher given."""
    roles = set(roles)
    match = Q(role__in=roles)
    if "manager" in roles:
        match |= Q(is_superuser=True)
    if advertiser_id is not None:
        match |= Q(role=Role.ADVERTISER, advertiser_id=advertiser_id)
    if publisher_id is not None:
        match |= Q(role=Role.PUBLISHER, publisher_id=publisher_id)
    if not roles and advertiser_id is None and publisher_id is None:
        return User.objects.none()
    return User.objects.filter(match, is_active=True).exclude(pk__in=list(exclude_ids))


def notify(*, users: Iterable[Any], kind: str, text: str, url: str = "") -> list[Notification]:
    """Tell each of `users` `text` (with a link to `url`); email those who want `kind`."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    user_ids = sorted({user.pk for user in users})
    if not user_ids:
        return []
    rows = Notification.objects.bulk_create(
        [Notification(user_id=uid, kind=kind, text=text[:500], url=url[:500]) for uid in user_ids]
    )
    muted = set(
        NotificationPreference.objects.filter(
            user_id__in=user_ids, kind=kind, email=False
        ).values_list("user_id", flat=True)
    )
    to_email = [row.pk for row in rows if row.user_id not in muted]
    if to_email:

        def send() -> None:
            notification_emails_send.delay(notification_ids=to_email)

        transaction.on_commit(send)
    return rows


def notification_preferences_of(*, user: Any) -> dict[str, bool]:
    """{kind: wants it by email} for every kind."""
    saved = dict(
        NotificationPreference.objects.filter(user_id=user.pk).values_list("kind", "email")
    )
    return {kind: saved.get(kind, True) for kind in KINDS}


def notification_preferences_set(*, user: Any, email_kinds: Iterable[str]) -> None:
    wanted = set(email_kinds)
    for kind in KINDS:
        NotificationPreference.objects.update_or_create(
            user_id=user.pk, kind=kind, defaults={"email": kind in wanted}
        )


def notifications_mark_read(*, user: Any, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
