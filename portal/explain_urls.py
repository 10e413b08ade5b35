"""Explain this payout's pages (portal/views/explain.py)."""

from django.urls import path

from portal.views import explain

urlpatterns = [
    path("conversions/<int:conversion_id>/explain/", explain.conversion, name="conversion-explain"),
    path("ledger/<int:entry_id>/explain/", explain.ledger_entry, name="ledger-entry-explain"),
    path("publisher/earnings/", explain.earnings, name="publisher-earnings"),
    path(
        "finance/batches/<int:batch_id>/lines/<int:line_id>/",
        explain.batch_line,
        name="finance-batch-line",
    ),
]
