from django.urls import path
from rest_framework.routers import SimpleRouter

from tracking.api.creative_tests import CreativeTestViewSet
from tracking.api.creatives import CreativeCodeViewSet, CreativeResultsView
from tracking.api.smart_links import SmartLinkViewSet

router = SimpleRouter()
router.register("creative-codes", CreativeCodeViewSet, basename="creative-code")
router.register("creative-tests", CreativeTestViewSet, basename="creative-test")
router.register("smart-links", SmartLinkViewSet, basename="smart-link")

urlpatterns = [
    path("creative-results/", CreativeResultsView.as_view(), name="creative-results"),
    *router.urls,
]
