"""Public conversion callback paths (included at the site root by tracking/urls.py)."""

from django.conf import settings
from django.urls import path

from tracking.callbacks import views

everflow_path = settings.CALLBACK_EVERFLOW_PATH.strip("/")

urlpatterns = [
    path("postback", views.postback, name="callback-postback"),
    path("aff_lsr", views.tune, name="callback-tune"),
    path(everflow_path, views.everflow, name="callback-everflow"),
    path("p/<slug:goal_ref>.gif", views.pixel, name="callback-pixel"),
]
