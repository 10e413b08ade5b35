from rest_framework.routers import SimpleRouter

from tracking.api.conversions import ConversionViewSet, PostbackDeliveryViewSet

router = SimpleRouter()
router.register("conversions", ConversionViewSet, basename="conversion")
router.register("postback-deliveries", PostbackDeliveryViewSet, basename="postback-delivery")

urlpatterns = router.urls
