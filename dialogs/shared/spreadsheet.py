"""CSV files for spreadsheet programs: the one rule for cells that could run as formulas, and the
one encoding every export uses (UTF-8 with a byte-order mark, so Excel shows "Siân" correctly)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# A cell starting with one of these is read as a formula by Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); tab and carriage return start one after the program trims them.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The cell's text, with a leading apostrophe where it could run as a formula.

    Numbers the bot counted stay numbers (a negative count cannot run); any text, even text that
    looks like a number, is escaped, since a person may have typed it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_bytes(rows: Iterable[Iterable[object]]) -> bytes:
    """The rows as a CSV file (CRLF line ends, every cell through `safe_cell`), UTF-8 with a BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
