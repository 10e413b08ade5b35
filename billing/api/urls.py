from django.urls import path
from rest_framework.routers import SimpleRouter

from billing.api.views import (
    AdvertiserBalancesView,
    BudgetViewSet,
    CreditLimitView,
    InvoiceViewSet,
    PaymentViewSet,
    TopUpViewSet,
)

router = SimpleRouter()
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("invoice-payments", PaymentViewSet, basename="invoice-payment")
router.register("advertiser-top-ups", TopUpViewSet, basename="advertiser-top-up")
router.register("revenue-budgets", BudgetViewSet, basename="revenue-budget")

urlpatterns = [
    path("advertiser-balances/", AdvertiserBalancesView.as_view(), name="advertiser-balances"),
    path("advertiser-credit-limits/", CreditLimitView.as_view(), name="advertiser-credit-limits"),
    *router.urls,
]
