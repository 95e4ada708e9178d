"""Text we write into files (xlsx, csv, docx, feeds): it never runs as a formula and never breaks the file.

`file_text` is the one function every writer passes people's text through: control characters that
XML (xlsx, docx, Atom) cannot hold are dropped and line breaks made plain (`services.text.clean_text`,
which also runs on the way in; text stored before that, or by other programs, is cleaned here).

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

import re
from datetime import date, datetime
from decimal import Decimal

from openpyxl.cell.cell import Cell

from tracker.services.text import clean_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?[0-9]+(\.[0-9]+)?")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def file_text(value) -> str:
    """`value` as text any file format can hold: no control character but tab and newline."""
    return "" if value is None else clean_text(str(value))


def set_cell(cell: Cell, value) -> Cell:
    """Write `value` into `cell`: numbers and dates as themselves, any text always as text."""
    if value is None or isinstance(value, bool | int | float | date | datetime):
        cell.value = value
        return cell
    if isinstance(value, Decimal):
        cell.value = int(value) if value == value.to_integral_value() else float(value)
        return cell
    text = file_text(value)
    cell.value = text
    cell.data_type = "s"  # openpyxl would take a leading "=" as a formula; a string cell never runs
    if looks_like_formula(text):
        cell.quotePrefix = True
    return cell


def csv_text(value) -> str | int | float:
    """A CSV field: numbers as themselves, text with one leading `'` when a spreadsheet would run it."""
    if isinstance(value, bool | int | float | Decimal):
        return value
    text = file_text(value)
    if _NUMBER.fullmatch(text):  # "-2.00" is a figure, not a formula: it stays as a spreadsheet reads it
        return text
    return "'" + text if looks_like_formula(text) else text


def print_setup(sheet, header_row: int, columns: int) -> None:
    """Page setup for a sheet a clerk will print: A4, one page wide (as many pages tall as it takes),
    landscape when it has more than six columns, and the header row repeated on every page."""
    sheet.page_setup.paperSize = "9"  # A4 (openpyxl Worksheet.PAPERSIZE_A4)
    sheet.page_setup.orientation = "landscape" if columns > 6 else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_options.horizontalCentered = True
