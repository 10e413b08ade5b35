from rest_framework.routers import SimpleRouter

from tracking.api.domains import TrackingDomainViewSet

router = SimpleRouter()
router.register("tracking-domains", TrackingDomainViewSet, basename="tracking-domain")

urlpatterns = router.urls
