"""`{% unread_notifications user %}`: how many notifications the user has not read."""

from django import template

from accounts.models import Notification

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()
