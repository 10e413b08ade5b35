from django.urls import include, path

urlpatterns = [
    path("", include("tracking.api.click_urls")),
    path("", include("tracking.api.conversion_urls")),
    path("", include("tracking.api.sandbox_urls")),
    path("", include("tracking.api.landing_urls")),
    path("", include("tracking.api.domain_urls")),
    path("", include("tracking.api.creative_urls")),
    path("", include("tracking.api.impression_report_urls")),
]
