from rest_framework.routers import SimpleRouter

from offers.api import access, compliance, creatives, landing, revenue_cuts, views

router = SimpleRouter()
router.register("advertisers", views.AdvertiserViewSet, basename="advertiser")
router.register("offers", views.OfferViewSet, basename="offer")
router.register("goals", views.GoalViewSet, basename="goal")
router.register("terms", views.TermsViewSet, basename="terms")
router.register("overrides", views.PublisherOverrideViewSet, basename="override")
router.register("caps", views.CapViewSet, basename="cap")
router.register("offer-terms", compliance.OfferTermsViewSet, basename="offer-terms")
# Publishers' rows that name offers (offers/api/access.py).
router.register("offer-access", access.OfferAccessViewSet, basename="offer-access")
router.register("postback-templates", access.PostbackTemplateViewSet, basename="postback-template")
# Landing variants and finer targeting (offers/api/landing.py); A/B tests are tracking's.
router.register("landing-variants", landing.LandingVariantViewSet, basename="landing-variant")
router.register("offer-targeting", landing.OfferTargetingViewSet, basename="offer-targeting")
# Creatives (offers/api/creatives.py); their code with a publisher's link is tracking's.
router.register("creatives", creatives.CreativeViewSet, basename="creative")

# Advertisers' requests to lower revenue on a live offer (offers/api/revenue_cuts.py).
router.register(
    "revenue-cut-requests", revenue_cuts.RevenueCutRequestViewSet, basename="revenue-cut-request"
)

urlpatterns = router.urls
