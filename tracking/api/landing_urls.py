from rest_framework.routers import SimpleRouter

from tracking.api.landing_tests import LandingTestViewSet

router = SimpleRouter()
router.register("landing-tests", LandingTestViewSet, basename="landing-test")

urlpatterns = router.urls
