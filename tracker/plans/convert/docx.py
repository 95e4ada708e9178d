"""Word (.docx) notices as blocks: paragraphs and tables in document order, merged cells resolved.

Opened with python-docx (its lxml parser does not resolve entities) only after `safety.open_zip`.
"""

from __future__ import annotations

import io
import warnings

from .blocks import Block, Cell, Paragraph, Table, col_letter
from .problems import ConversionError, Problem

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_blocks(data: bytes, name: str, max_rows: int = 5000, max_cols: int = 60) -> list[Block]:
    from docx import Document

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            document = Document(io.BytesIO(data))
        body = document.element.body
    except Exception as exc:  # python-docx raises many kinds on a damaged package
        raise ConversionError([Problem(name, f"无法读取 Word 文件(文件损坏或不是 .docx): {exc}")]) from None
    reader = _Reader(max_rows, max_cols)
    reader.walk(body)
    return reader.blocks


class _Reader:
    def __init__(self, max_rows: int, max_cols: int):
        self.blocks: list[Block] = []
        self.paragraphs = 0
        self.tables = 0
        self.max_rows, self.max_cols = max_rows, max_cols

    def walk(self, parent) -> None:
        for child in parent.iterchildren():
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == f"{W}p":
                self.paragraphs += 1
                text = paragraph_text(child)
                if text.strip():
                    self.blocks.append(Paragraph(text, f"第{self.paragraphs}段"))
            elif tag == f"{W}tbl":
                self.tables += 1
                self.blocks.append(self.table(child, self.tables))
            elif tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}ins", f"{W}smartTag"):
                self.walk(child)

    def table(self, tbl, number: int) -> Table:
        grid: list[list[Cell]] = []
        for r, tr in enumerate(tbl.iterchildren(f"{W}tr")):
            if r >= self.max_rows:
                break
            row: list[Cell] = []
            before = _val(tr.find(f"{W}trPr/{W}gridBefore"))
            row.extend(Cell("") for _ in range(min(before or 0, self.max_cols)))
            for tc in tr.iterchildren(f"{W}tc"):
                pr = tc.find(f"{W}tcPr")
                span = _val(pr.find(f"{W}gridSpan")) if pr is not None else None
                vmerge = pr.find(f"{W}vMerge") if pr is not None else None
                continues = vmerge is not None and vmerge.get(f"{W}val", "continue") != "restart"
                col = len(row)
                if continues and grid and col < len(grid[-1]):
                    cell = Cell(grid[-1][col].text, merged_above=True)
                else:
                    cell = Cell("\n".join(paragraph_text(p) for p in tc.iter(f"{W}p")).strip())
                row.append(cell)
                for _ in range(max(1, min(span or 1, self.max_cols)) - 1):
                    row.append(Cell(cell.text, merged_above=cell.merged_above, merged_left=True))
                if len(row) >= self.max_cols:
                    break
            grid.append(row[: self.max_cols])
        _vspans(grid)

        def locate(r: int, c: int, n: int = number) -> str:
            return f"表{n} 第{r + 1}行 {col_letter(c)}列"

        return Table(grid, f"表{number}", locate)


def _vspans(grid: list[list[Cell]]) -> None:
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if cell.merged_above:
                continue
            n = r + 1
            while n < len(grid) and c < len(grid[n]) and grid[n][c].merged_above:
                n += 1
            cell.vspan = n - r


def _val(el) -> int | None:
    if el is None:
        return None
    try:
        return int(el.get(f"{W}val"))
    except (TypeError, ValueError):
        return None


def paragraph_text(p) -> str:
    """Text of a w:p: runs, tabs and breaks, inserted text; deleted text and field codes left out."""
    parts: list[str] = []
    for el in p.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}delText", f"{W}instrText"):
        if el.tag == f"{W}t":
            parts.append(el.text or "")
        elif el.tag in (f"{W}tab",):
            parts.append("\t")
        elif el.tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
    return "".join(parts)
