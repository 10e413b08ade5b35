from rest_framework.routers import SimpleRouter

from tracking.api.clicks import ClickViewSet
from tracking.api.links import LinkViewSet

router = SimpleRouter()
router.register("links", LinkViewSet, basename="link")
router.register("clicks", ClickViewSet, basename="click")

urlpatterns = router.urls
