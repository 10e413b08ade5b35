"""Notifications and their email choices, for every signed-in user, under /notifications/."""

from django.urls import path

from portal.views import notifications

urlpatterns = [
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications-read"),
    path(
        "notifications/settings/",
        notifications.notification_settings,
        name="notification-settings",
    ),
]
