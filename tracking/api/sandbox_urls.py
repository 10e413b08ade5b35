from django.urls import path
from rest_framework.routers import SimpleRouter

from tracking.api.sandbox import SandboxConversionView, SandboxLinkViewSet, SandboxTraceView

router = SimpleRouter()
router.register("sandbox/links", SandboxLinkViewSet, basename="sandbox-link")

urlpatterns = [
    *router.urls,
    path("sandbox/conversions/", SandboxConversionView.as_view(), name="sandbox-conversion"),
    path("sandbox/traces/<str:click_id>/", SandboxTraceView.as_view(), name="sandbox-trace"),
]
