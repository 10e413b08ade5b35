from django.urls import path
from rest_framework.routers import SimpleRouter

from affiliates.api import compliance, views

router = SimpleRouter()
router.register("publishers", views.PublisherViewSet, basename="publisher")
router.register(
    "payout-details-changes", views.PayoutDetailsChangeViewSet, basename="payout-details-change"
)
router.register("api-keys", views.ApiKeyViewSet, basename="api-key")
router.register("traffic-sources", compliance.TrafficSourceViewSet, basename="traffic-source")
router.register("terms-acceptances", compliance.TermsAcceptanceViewSet, basename="terms-acceptance")

urlpatterns = [path("me/", views.me, name="me"), *router.urls]
