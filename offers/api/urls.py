from rest_framework.routers import SimpleRouter

from offers.api import compliance, views

router = SimpleRouter()
router.register("advertisers", views.AdvertiserViewSet, basename="advertiser")
router.register("offers", views.OfferViewSet, basename="offer")
router.register("goals", views.GoalViewSet, basename="goal")
router.register("terms", views.TermsViewSet, basename="terms")
router.register("overrides", views.PublisherOverrideViewSet, basename="override")
router.register("caps", views.CapViewSet, basename="cap")
router.register("offer-terms", compliance.OfferTermsViewSet, basename="offer-terms")

urlpatterns = router.urls
