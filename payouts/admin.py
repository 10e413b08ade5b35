"""Admin for the ledger and payout batches: managers look, nobody edits here.

Money moves only through the services (the API), which keep the two-person rule and write the
ledger entries; the admin is for managers (accounts.admin_access) and is read-only.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin_access import ManagerAdmin
from payouts.models import (
    AdjustmentRequest,
    LedgerEntry,
    LineFailureRequest,
    PayoutBatch,
    PayoutBatchLine,
)


class ReadOnlyAdmin(ManagerAdmin):
    # Ledgers and lines grow to millions of rows: no COUNT(*) of the whole table per page.
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "publisher", "kind", "amount", "currency", "source"]
    list_filter = ["kind", "currency"]
    list_select_related = ["publisher"]
    search_fields = ["idempotency_key", "publisher__name"]
    date_hierarchy = "created_at"

    @admin.display(description="source")
    def source(self, entry: LedgerEntry) -> str:
        if entry.batch_line_id:
            return f"batch line {entry.batch_line_id}"
        if entry.conversion_id:
            return f"conversion {entry.conversion_id}"
        return f"user {entry.created_by_id}: {entry.reason}" if entry.created_by_id else ""


@admin.register(PayoutBatchLine)
class PayoutBatchLineAdmin(ReadOnlyAdmin):
    list_display = ["reference", "batch", "publisher", "amount", "currency", "status"]
    list_filter = ["status", "currency", "payout_method"]
    list_select_related = ["publisher"]
    search_fields = ["reference", "publisher__name"]


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "currency", "cut_off", "status", "total", "line_count", "built_by"]
    list_filter = ["status", "currency"]
    readonly_fields = ["lines"]

    @admin.display(description="lines")
    def lines(self, batch: PayoutBatch) -> str:
        url = reverse("admin:payouts_payoutbatchline_changelist") + f"?batch__id__exact={batch.id}"
        return format_html('<a href="{}">{} lines</a>', url, batch.line_count)


@admin.register(AdjustmentRequest)
class AdjustmentRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "publisher", "amount", "currency", "state", "requested_by", "decided_by"]
    list_filter = ["state", "currency"]
    list_select_related = ["publisher"]


@admin.register(LineFailureRequest)
class LineFailureRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "line", "state", "requested_by", "decided_by"]
    list_filter = ["state"]
