"""Explain this payout (payouts/api/explain.py), beside the routers' own detail routes."""

from django.urls import path

from payouts.api.explain import ConversionExplainView, LedgerEntryExplainView, PayoutLineEntriesView

urlpatterns = [
    path(
        "conversions/<int:pk>/explain/", ConversionExplainView.as_view(), name="conversion-explain"
    ),
    path(
        "ledger-entries/<int:pk>/explain/",
        LedgerEntryExplainView.as_view(),
        name="ledger-entry-explain",
    ),
    path(
        "payout-batches/<int:batch_id>/lines/<int:line_id>/entries/",
        PayoutLineEntriesView.as_view(),
        name="payout-batch-line-entries",
    ),
]
