"""Batch exports: our own CSV, and the bulk-upload files of PayPal Payouts and Wise.

Amounts are written with the currency's minor-unit digits exactly (`money_str`), never
re-rounded. The provider files hold only the lines paid by that provider; the standard file
holds every line. Provider limits (PayPal's web upload takes 5,000 rows, Wise 1,000) are the
uploader's to split.
"""

import csv
import io
import json
from collections.abc import Iterable
from enum import StrEnum

from core.errors import DomainError
from core.money import money_str
from payouts.models import PayoutBatch, PayoutBatchLine


class ExportFormat(StrEnum):
    STANDARD = "standard"
    PAYPAL = "paypal"
    WISE = "wise"


_COLUMNS = ("publisher_id", "publisher", "payout_method", "payout_details", "amount", "currency")
_LINE_FIELDS = (
    "id",
    "publisher_id",
    "payee_name",
    "payout_method",
    "payout_details",
    "amount",
    "currency",
    "reference",
)


def _lines(batch: PayoutBatch, method: str | None) -> Iterable[dict]:
    lines = PayoutBatchLine.objects.filter(batch=batch).order_by("id")
    if method is not None:
        lines = lines.filter(payout_method=method)
    return lines.values(*_LINE_FIELDS).iterator(chunk_size=2000)


def _standard(batch: PayoutBatch, out: io.StringIO) -> None:
    writer = csv.writer(out)
    writer.writerow([*_COLUMNS, "reference"])
    for line in _lines(batch, None):
        writer.writerow(
            [
                line["publisher_id"],
                _text(line["payee_name"]),
                line["payout_method"],
                _text(json.dumps(line["payout_details"], sort_keys=True)),
                money_str(line["amount"], line["currency"]),
                line["currency"],
                line["reference"],
            ]
        )


def _text(value: str) -> str:
    """Publisher-supplied text, defused so a spreadsheet never runs it as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _detail(line: dict, key: str) -> str:
    value = (line["payout_details"] or {}).get(key)
    return _text(str(value).strip()) if value else ""


def _missing(references: list[str], what: str) -> DomainError:
    shown = ", ".join(references[:20]) + (" ..." if len(references) > 20 else "")
    return DomainError(
        "payout_details_missing",
        f"{len(references)} line(s) have no {what}: {shown}. Export the standard file instead.",
        status_code=409,
    )


def _paypal(batch: PayoutBatch, out: io.StringIO) -> None:
    """PayPal Payouts web upload: no header; recipient, amount, currency, customer id (our
    reference, 30 chars at most), note, wallet."""
    writer = csv.writer(out)
    missing = []
    for line in _lines(batch, "paypal"):
        email = _detail(line, "email")
        if not email:
            missing.append(line["reference"])
            continue
        writer.writerow(
            [
                email,
                money_str(line["amount"], line["currency"]),
                line["currency"],
                line["reference"],
                f"Payout {line['reference']}",
                "PAYPAL",
            ]
        )
    if missing:
        raise _missing(missing, "PayPal email")


def _wise(batch: PayoutBatch, out: io.StringIO) -> None:
    """Wise batch "send by email" template: the recipient gets exactly `amount` (fixed target)."""
    writer = csv.writer(out)
    writer.writerow(
        [
            "name",
            "recipientEmail",
            "paymentReference",
            "receiverType",
            "amountCurrency",
            "amount",
            "sourceCurrency",
            "targetCurrency",
        ]
    )
    missing = []
    for line in _lines(batch, "wise"):
        email = _detail(line, "email")
        if not email:
            missing.append(line["reference"])
            continue
        writer.writerow(
            [
                _detail(line, "name") or _text(line["payee_name"]),
                email,
                line["reference"],
                (_detail(line, "receiver_type") or "PERSON").upper(),
                "target",
                money_str(line["amount"], line["currency"]),
                line["currency"],
                line["currency"],
            ]
        )
    if missing:
        raise _missing(missing, "Wise email")


_RENDERERS = {
    ExportFormat.STANDARD: _standard,
    ExportFormat.PAYPAL: _paypal,
    ExportFormat.WISE: _wise,
}


def payout_batch_csv(*, batch: PayoutBatch, export_format: str) -> str:
    """The batch as CSV text in `export_format` (standard, paypal or wise)."""
    try:
        fmt = ExportFormat(export_format)
    except ValueError:
        raise DomainError.for_field(
            "format", "invalid", "format must be one of standard, paypal, wise."
        ) from None
    out = io.StringIO()
    _RENDERERS[fmt](batch, out)
    return out.getvalue()


def payout_batch_csv_filename(*, batch: PayoutBatch, export_format: str) -> str:
    return f"payout-batch-{batch.id}-{batch.currency}-{export_format}.csv"
