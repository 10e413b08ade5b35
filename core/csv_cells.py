"""CSV cells a spreadsheet cannot run: exports carry text typed by publishers and visitors
(names, sub ids), and a cell starting with `=` is a formula to Excel and LibreOffice."""

from decimal import Decimal, InvalidOperation
from typing import Any

# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and CR, may
# strip them and read what follows): names and sub ids come from publishers and visitors.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """`value` for a CSV cell; text a spreadsheet would run is prefixed with a quote (OWASP's
    CSV injection advice). Numbers, negative ones included, stay numbers."""
    if value is None:
        return ""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        if Decimal(value).is_finite():
            return value
    except InvalidOperation:
        pass
    return "'" + value
