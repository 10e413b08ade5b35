from django.urls import include, path

urlpatterns = [
    path("", include("tracking.clicks.urls")),
    path("", include("tracking.callbacks.urls")),
]
