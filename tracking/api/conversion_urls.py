from django.urls import path
from rest_framework.routers import SimpleRouter

from tracking.api.callbacks import CallbackViewSet
from tracking.api.conversions import ConversionViewSet, PostbackDeliveryViewSet
from tracking.api.review_queue import ReviewQueueViewSet
from tracking.api.status_postback import StatusPostbackView
from tracking.api.validations import ValidationViewSet

router = SimpleRouter()
router.register("conversions", ConversionViewSet, basename="conversion")
router.register("review-queue", ReviewQueueViewSet, basename="review-queue")
router.register("validations", ValidationViewSet, basename="validation")
router.register("callbacks", CallbackViewSet, basename="callback")
router.register("postback-deliveries", PostbackDeliveryViewSet, basename="postback-delivery")

urlpatterns = [
    # The status postback: an advertiser's server decides its conversion by txn_id.
    path("conversion-status/", StatusPostbackView.as_view(), name="conversion-status"),
    *router.urls,
]
