"""An issued invoice as files: a PDF (fpdf2) and a CSV (cells escaped: core.csv_cells).

Both are drawn from the frozen rows, so the same invoice always gives the same content.
"""

import csv
import io

from fpdf import FPDF

from billing.models import Invoice, InvoiceLine
from core.csv_cells import csv_cell
from core.money import money_str

CSV_HEADER = [
    "invoice",
    "advertiser",
    "period_start",
    "period_end",
    "kind",
    "offer_id",
    "goal_id",
    "description",
    "quantity",
    "amount",
    "currency",
]


def invoice_filename(invoice: Invoice, extension: str) -> str:
    name = invoice.number_display or f"draft-{invoice.pk}"
    return f"{name}.{extension}"


def _lines(invoice: Invoice) -> list[InvoiceLine]:
    return list(invoice.lines.order_by("kind", "offer_id", "goal_id", "id"))


def invoice_csv(invoice: Invoice) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for line in _lines(invoice):
        writer.writerow(
            [
                csv_cell(value)
                for value in (
                    invoice.number_display or f"draft-{invoice.pk}",
                    invoice.advertiser.name,
                    invoice.period_start.isoformat(),
                    invoice.period_end.isoformat(),
                    line.kind,
                    line.offer_id,
                    line.goal_id,
                    line.description,
                    line.quantity,
                    money_str(line.amount, invoice.currency),
                    invoice.currency,
                )
            ]
        )
    return out.getvalue()


def _text(value: str) -> str:
    # The core fonts are latin-1: anything else is shown as "?" rather than refused.
    return value.encode("latin-1", "replace").decode("latin-1")


def invoice_pdf(invoice: Invoice, *, network_name: str = "Affnet") -> bytes:
    currency = invoice.currency
    pdf = FPDF(format="A4")
    pdf.set_creation_date(invoice.issued_at or invoice.built_at)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    title = f"Invoice {invoice.number_display}" if invoice.number else "Draft invoice"
    pdf.cell(0, 10, _text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for label, value in (
        ("From", network_name),
        ("To", invoice.advertiser.name),
        ("Period", f"{invoice.period_start} to {invoice.period_end} (end excluded)"),
        ("Issued", invoice.issued_at.date().isoformat() if invoice.issued_at else "not issued"),
        ("Currency", currency),
    ):
        pdf.cell(0, 6, _text(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    with pdf.table(col_widths=(110, 25, 45), text_align=("LEFT", "RIGHT", "RIGHT")) as table:
        table.row(["Description", "Quantity", f"Amount ({currency})"])
        for line in _lines(invoice):
            table.row(
                [_text(line.description), str(line.quantity), money_str(line.amount, currency)]
            )
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    for label, amount in (
        ("Charges", invoice.charges),
        ("Credits", invoice.credits),
        ("Total due", invoice.total),
    ):
        pdf.cell(
            0,
            6,
            f"{label}: {money_str(amount, currency)} {currency}",
            new_x="LMARGIN",
            new_y="NEXT",
            align="R",
        )
    return bytes(pdf.output())
