from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from config.health import healthz, readyz
from config.schema_view import SchemaView
from ops.metrics import metrics_view

api_v1 = [
    path("", include("offers.api.urls")),
    path("", include("affiliates.api.urls")),
    path("", include("tracking.api.urls")),
    path("", include("payouts.api.urls")),
    path("", include("payouts.api.explain_urls")),
    path("", include("billing.api.urls")),
    path("", include("reports.api.urls")),
    path("", include("fraud.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("accounts.audit.urls")),
    # Each role's schema, built once per process (config/schema_view.py).
    path("schema/", SchemaView.as_view(), name="schema"),
    # Swagger UI with its try-it console (a session or `Bearer <api key>`), and ReDoc to read.
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path(
        "docs/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="portal/api_redoc.html"),
        name="api-redoc",
    ),
]

urlpatterns = [
    # Operations: liveness, readiness, Prometheus (config/health.py, core/metrics.py).
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # Public tracking paths: redirects, pixels, conversion callbacks.
    path("", include("tracking.urls")),
    # The people's pages: sign-in, publisher portal, advertiser, finance, network dashboard.
    path("", include("portal.urls")),
]
