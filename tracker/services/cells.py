"""Cells we write into spreadsheets (xlsx and csv): text that people typed never runs as a formula.

A spreadsheet treats a cell that starts with `=`, `+`, `-` or `@` (and, in CSV, a tab or carriage
return) as a formula, so a narrative like `=HYPERLINK("http://evil","点此")` could run when an office
clerk opens an export (OWASP "CSV injection"). Every workbook tracker writes sets cells through
`set_cell`, and every CSV writer passes text through `csv_text`.

- xlsx: such text is stored as a string cell with Excel's own quote prefix (`quotePrefix`, what Excel
  records when a person types a leading `'`): the text stays exactly as written, shows as text, and
  stays text when edited. Nothing is added to the value, so an import reads back what was exported.
- csv: there is no cell type, so OWASP's recommendation applies literally: a leading `'` is added.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from openpyxl.cell.cell import Cell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def set_cell(cell: Cell, value) -> Cell:
    """Write `value` into `cell`: numbers and dates as themselves, any text always as text."""
    if value is None or isinstance(value, bool | int | float | date | datetime):
        cell.value = value
        return cell
    if isinstance(value, Decimal):
        cell.value = int(value) if value == value.to_integral_value() else float(value)
        return cell
    text = str(value)
    cell.value = text
    cell.data_type = "s"  # openpyxl would take a leading "=" as a formula; a string cell never runs
    if looks_like_formula(text):
        cell.quotePrefix = True
    return cell


def csv_text(value) -> str:
    """Text for a CSV field: one leading `'` when a spreadsheet would otherwise run it."""
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text
