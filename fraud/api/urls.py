from django.urls import path
from rest_framework.routers import SimpleRouter

from fraud.api import views

router = SimpleRouter()
router.register("fraud-rules", views.FraudRuleViewSet, basename="fraud-rule")

urlpatterns = [
    path("fraud-signals/", views.FraudSignalsView.as_view(), name="fraud-signals"),
    *router.urls,
]
