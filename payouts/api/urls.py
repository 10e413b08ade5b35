from django.urls import path
from rest_framework.routers import SimpleRouter

from payouts.api.books import AccountingPeriodViewSet, PayoutBatchHeldView, TaxFormViewSet
from payouts.api.views import (
    AdjustmentRequestViewSet,
    LedgerEntryViewSet,
    PayoutBatchViewSet,
    PublisherPaymentsView,
    PublisherPayoutLinesView,
    PublisherPayoutsView,
)

router = SimpleRouter()
router.register("payout-batches", PayoutBatchViewSet, basename="payout-batch")
router.register("ledger-entries", LedgerEntryViewSet, basename="ledger-entry")
router.register("adjustment-requests", AdjustmentRequestViewSet, basename="adjustment-request")
router.register("accounting-periods", AccountingPeriodViewSet, basename="accounting-period")
router.register("tax-forms", TaxFormViewSet, basename="tax-form")

urlpatterns = [
    path("payouts/", PublisherPayoutsView.as_view(), name="payouts"),
    path("payouts/lines/", PublisherPayoutLinesView.as_view(), name="payouts-lines"),
    path("payouts/payments/", PublisherPaymentsView.as_view(), name="payouts-payments"),
    path(
        "payout-batches/<int:batch_id>/held/",
        PayoutBatchHeldView.as_view(),
        name="payout-batch-held",
    ),
    *router.urls,
]
