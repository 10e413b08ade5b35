"""Email for notifications (accounts/notifications.py), after the commit that wrote them.

Idempotent: a notification is claimed by setting `emailed_at` with a conditional update before
its email is sent, so a re-delivered task sends nothing twice. A failed send (the mail server
down) clears the claim and retries with backoff."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from accounts.models import Notification, NotificationPreference


def _muted(notification: Notification) -> bool:
    """The user turned this kind's email off (perhaps after it was written)."""
    return NotificationPreference.objects.filter(
        user_id=notification.user_id, kind=notification.kind, email=False
    ).exists()


@shared_task(
    name="accounts.notification_emails_send",
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=5,
)
def notification_emails_send(*, notification_ids: list[int]) -> int:
    sent = 0
    for notification in Notification.objects.filter(
        pk__in=notification_ids, emailed_at__isnull=True
    ).select_related("user"):
        if not notification.user.email or _muted(notification):
            continue
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue
        link = f"{settings.PORTAL_BASE_URL}{notification.url}" if notification.url else ""
        body = "\n\n".join(
            part
            for part in (
                notification.text,
                link,
                "Choose which notifications you get by email: "
                f"{settings.PORTAL_BASE_URL}/notifications/settings/",
            )
            if part
        )
        try:
            send_mail(
                subject=f"Affnet: {notification.text[:80]}",
                message=body,
                from_email=None,
                recipient_list=[notification.user.email],
            )
        except OSError:
            Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
            raise
        sent += 1
    return sent
