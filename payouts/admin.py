"""Admin for the ledger (read-only) and payout batches (read-mostly: two actions that call the
same services as the API, so the two-person rule and the ledger entries follow)."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from config.errors import DomainError
from payouts.models import LedgerEntry, PayoutBatch, PayoutBatchLine
from payouts.services import payout_batch_approve, payout_batch_mark_paid


class ReadOnlyAdmin(admin.ModelAdmin):
    # Ledgers and batches grow to millions of rows: no COUNT(*) of the whole table per page.
    show_full_result_count = False

    def has_add_permission(self, request, obj=None) -> bool:
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
    raw_id_fields = ["publisher", "conversion", "batch_line", "created_by"]
    date_hierarchy = "created_at"

    @admin.display(description="source")
    def source(self, entry: LedgerEntry) -> str:
        if entry.conversion_id:
            return f"conversion {entry.conversion_id}"
        if entry.batch_line_id:
            return f"batch line {entry.batch_line_id}"
        return f"user {entry.created_by_id}: {entry.reason}" if entry.created_by_id else ""


@admin.register(PayoutBatchLine)
class PayoutBatchLineAdmin(ReadOnlyAdmin):
    list_display = ["reference", "batch", "publisher", "amount", "currency", "payout_method"]
    list_filter = ["status", "currency", "payout_method"]
    list_select_related = ["publisher"]
    search_fields = ["reference", "publisher__name"]
    raw_id_fields = ["batch", "publisher"]


def _run(modeladmin, request, queryset, service, done: str) -> None:
    for batch in queryset:
        try:
            service(batch, request.user)
        except DomainError as refused:
            modeladmin.message_user(request, f"Batch {batch.id}: {refused.message}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"Batch {batch.id} {done}.", messages.SUCCESS)


@admin.action(description="Approve (a finance user other than the builder)")
def approve(modeladmin, request, queryset) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        lambda b, user: payout_batch_approve(batch_id=b.id, approved_by=user),
        "approved",
    )


@admin.action(description="Mark paid (writes the payment entries)")
def mark_paid(modeladmin, request, queryset) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        lambda b, user: payout_batch_mark_paid(batch_id=b.id, paid_by=user),
        "marked paid",
    )


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "currency", "cut_off", "status", "total", "line_count", "built_by"]
    list_filter = ["status", "currency"]
    actions = [approve, mark_paid]
    readonly_fields = ["lines"]

    def has_change_permission(self, request, obj=None) -> bool:
        # Needed for the actions to show; every field stays read-only.
        return obj is None and request.user.is_active and request.user.is_finance

    @admin.display(description="lines")
    def lines(self, batch: PayoutBatch) -> str:
        url = reverse("admin:payouts_payoutbatchline_changelist") + f"?batch__id__exact={batch.id}"
        return format_html('<a href="{}">{} lines</a>', url, batch.line_count)
