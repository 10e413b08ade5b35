from rest_framework.routers import SimpleRouter

from tracking.api.impression_reports import ImpressionReportViewSet, ImpressionSourceViewSet

router = SimpleRouter()
router.register("impression-sources", ImpressionSourceViewSet, basename="impression-source")
router.register("impression-reports", ImpressionReportViewSet, basename="impression-report")

urlpatterns = router.urls
