"""Excel (.xlsx) notices as one table block: the first sheet with a header row, merged ranges filled.

Opened with openpyxl (lxml without entity resolution) only after `safety.open_zip`.
"""

from __future__ import annotations

import io
import warnings
from datetime import date, datetime

from .blocks import Block, Cell, Table, col_letter
from .problems import ConversionError, Problem
from .tables import read_table


def xlsx_blocks(data: bytes, name: str, max_rows: int = 5000, max_cols: int = 60) -> list[Block]:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), data_only=True)
            tables = [_sheet(ws, max_rows, max_cols) for ws in book.worksheets]
    except ConversionError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise ConversionError([Problem(name, f"无法读取 Excel 文件(文件损坏或不是 .xlsx): {exc}")]) from None
    for table in tables:
        if read_table(table) is not None:
            return [table]
    raise ConversionError(
        [
            Problem(
                name,
                "没有找到表头行:需要一行同时写有任务列(具体措施/工作任务/主要任务 …)"
                "和牵头单位、责任单位或完成时限列",
            )
        ]
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet(ws, max_rows: int, max_cols: int) -> Table:
    n_rows = min(ws.max_row or 0, max_rows)
    n_cols = min(ws.max_column or 0, max_cols)
    grid = [[Cell("") for _ in range(n_cols)] for _ in range(n_rows)]
    if n_rows and n_cols:
        for r, values in enumerate(ws.iter_rows(min_row=1, max_row=n_rows, max_col=n_cols, values_only=True)):
            for c, value in enumerate(values[:n_cols]):
                grid[r][c] = Cell(_text(value))
    for rng in ws.merged_cells.ranges:
        r0, c0 = rng.min_row - 1, rng.min_col - 1
        if r0 >= n_rows or c0 >= n_cols:
            continue
        r1, c1 = min(rng.max_row, n_rows), min(rng.max_col, n_cols)
        top = grid[r0][c0]
        top.vspan = r1 - r0
        for r in range(r0, r1):
            for c in range(c0, c1):
                if (r, c) != (r0, c0):
                    grid[r][c] = Cell(top.text, merged_above=r > r0, merged_left=c > c0)
    title = ws.title

    def locate(r: int, c: int) -> str:
        return f"{title}!{col_letter(c)}{r + 1}"

    return Table(grid, title, locate)
