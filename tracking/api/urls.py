from django.urls import include, path

urlpatterns = [
    path("", include("tracking.api.click_urls")),
    path("", include("tracking.api.conversion_urls")),
]
