"""Explain this payout over the API: a conversion, a ledger entry, a batch line's entries.

Thin: one selector each (payouts/explain.py), which scopes the row to the caller (404 outside
it), asks accounts.policy PAYOUT_EXPLAIN, and shows only the caller's side.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payouts.explain import conversion_explain, ledger_entry_explain, payout_line_entries

_ANY = serializers.JSONField()

ConversionExplanation = inline_serializer(
    "ConversionExplanation",
    {
        "conversion": serializers.IntegerField(),
        "side": serializers.ChoiceField(
            choices=["all", "payout", "revenue"],
            help_text="all: finance and managers; payout: the publisher; revenue: the advertiser.",
        ),
        "status": serializers.CharField(),
        "reason": serializers.CharField(),
        "reason_says": serializers.CharField(),
        "currency": serializers.CharField(),
        "sale_amount": serializers.CharField(allow_null=True),
        "payout": serializers.CharField(required=False, help_text="Publisher, finance, managers."),
        "revenue": serializers.CharField(
            required=False, help_text="Advertiser, finance, managers."
        ),
        "click": _ANY,
        "callback": serializers.JSONField(
            allow_null=True, help_text="Its parameters for the advertiser and staff only."
        ),
        "terms": serializers.JSONField(
            help_text="Each side's kind, source (goal, offer_override, goal_override), validity "
            "window and arithmetic: parts, exact sum, rounding step, result."
        ),
        "checks": serializers.JSONField(help_text="Each check of attribution, with `says`."),
        "history": serializers.JSONField(help_text="Attribution, then each change: who, why."),
        "fraud": serializers.JSONField(required=False, help_text="Finance and managers only."),
        "ledger": serializers.JSONField(
            required=False,
            help_text="Entries (each with the batch line and payment that settled it), total, "
            "owed_now, adds_up. Not for advertisers.",
        ),
    },
)

EntryExplanation = inline_serializer(
    "LedgerEntryExplanation",
    {
        "id": serializers.IntegerField(),
        "kind": serializers.CharField(),
        "amount": serializers.CharField(),
        "currency": serializers.CharField(),
        "says": serializers.CharField(),
        "because": serializers.CharField(),
        "settled_by": serializers.JSONField(allow_null=True),
        "explains": serializers.JSONField(
            required=False, help_text="The conversion's explanation, for conversion entries."
        ),
    },
)

LineEntries = inline_serializer(
    "PayoutLineEntries",
    {
        "batch": serializers.IntegerField(),
        "line": serializers.IntegerField(),
        "reference": serializers.CharField(),
        "publisher": serializers.IntegerField(),
        "currency": serializers.CharField(),
        "amount": serializers.CharField(),
        "entries": serializers.JSONField(
            help_text="Each entry: id, kind, amount, conversion; explain it at "
            "/api/v1/ledger-entries/{id}/explain/."
        ),
        "total": serializers.CharField(),
        "adds_up": serializers.BooleanField(),
    },
)


class ConversionExplainView(APIView):
    @extend_schema(operation_id="conversions_explain", responses={200: ConversionExplanation})
    def get(self, request: Request, pk: int) -> Response:
        """Why this conversion earned what it did: click, callback, terms and their source,
        arithmetic and rounding, checks, history, ledger entries and their payment. Publishers
        see the payout side of their own, advertisers the revenue side of theirs."""
        return Response(conversion_explain(conversion_id=pk, user=request.user))


class LedgerEntryExplainView(APIView):
    @extend_schema(operation_id="ledger_entries_explain", responses={200: EntryExplanation})
    def get(self, request: Request, pk: int) -> Response:
        """Why this ledger entry exists: its conversion explained, or the adjustment's author,
        or the batch line it paid. Publishers their own; finance and managers all."""
        return Response(ledger_entry_explain(entry_id=pk, user=request.user))


class PayoutLineEntriesView(APIView):
    @extend_schema(operation_id="payout_batches_lines_entries", responses={200: LineEntries})
    def get(self, request: Request, batch_id: int, line_id: int) -> Response:
        """The ledger entries a batch line pays (finance and managers)."""
        return Response(payout_line_entries(batch_id=batch_id, line_id=line_id, user=request.user))
