from rest_framework.routers import SimpleRouter

from tracking.api.callbacks import CallbackViewSet
from tracking.api.conversions import ConversionViewSet, PostbackDeliveryViewSet

router = SimpleRouter()
router.register("conversions", ConversionViewSet, basename="conversion")
router.register("callbacks", CallbackViewSet, basename="callback")
router.register("postback-deliveries", PostbackDeliveryViewSet, basename="postback-delivery")

urlpatterns = router.urls
