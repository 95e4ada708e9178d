"""PDF notices as blocks: the text layer and ruled tables through pdfplumber; pages without text go to OCR.

A table's merged cells come back empty (None): a row with text in one cell only is a group row merged
across the table; an empty cell under text continues the cell above (a key task merged down).
"""

from __future__ import annotations

import io
import re
import warnings

from .blocks import Block, Cell, Paragraph, Table, col_letter
from .problems import ConversionError, Problem

MIN_TEXT = 20  # characters on a page below which it is a scan
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff，。、；：（）])\s+(?=[\u3400-\u9fff，。、；：（）])")


def pdf_blocks(data: bytes, name: str, max_rows: int = 5000, max_cols: int = 60) -> tuple[list[Block], bool]:
    """(blocks, scanned): the text layer read page by page; `scanned` when no page had text."""
    import pdfplumber

    blocks: list[Block] = []
    tables = 0
    text_pages = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pdf = pdfplumber.open(io.BytesIO(data))
        with pdf:
            for p, page in enumerate(pdf.pages, start=1):
                page_text = page.extract_text() or ""
                if len(page_text.strip()) < MIN_TEXT:
                    continue
                text_pages += 1
                found = page.find_tables()
                boxes = [t.bbox for t in found]

                def outside(obj, boxes=boxes):
                    x, top = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
                    return not any(b[0] <= x <= b[2] and b[1] <= top <= b[3] for b in boxes)

                items: list[tuple[float, Block]] = []
                rest = page.filter(outside) if boxes else page
                for n, line in enumerate((rest.extract_text() or "").split("\n"), start=1):
                    line = _CJK_SPACE.sub("", line).strip()
                    if line:
                        items.append((_line_top(rest, n), Paragraph(line, f"第{p}页 第{n}行")))
                for t in found:
                    tables += 1
                    rows = t.extract() or []
                    items.append((t.bbox[1], _table(rows[:max_rows], max_cols, f"表{tables}", p)))
                # paragraphs keep their order; a table goes before the first line below its top
                paragraphs = [b for _, b in items if isinstance(b, Paragraph)]
                placed = sorted((top, i) for i, (top, b) in enumerate(items) if isinstance(b, Table))
                tops = [top for top, b in items if isinstance(b, Paragraph)]
                out: list[Block] = []
                k = 0
                for top, para in zip(tops, paragraphs, strict=True):
                    while k < len(placed) and placed[k][0] <= top:
                        out.append(items[placed[k][1]][1])
                        k += 1
                    out.append(para)
                out += [items[i][1] for _, i in placed[k:]]
                blocks += out
    except ConversionError:
        raise
    except Exception as exc:  # pdfminer raises many kinds on a damaged file
        raise ConversionError(
            [Problem(name, f"无法读取 PDF 文件(文件损坏或加密):{type(exc).__name__}")]
        ) from None
    return blocks, text_pages == 0


def _line_top(page, n: int) -> float:
    """An estimate of where the n-th text line of the page starts, to place tables between lines."""
    try:
        lines = page.extract_text_lines()
        return lines[n - 1]["top"] if n - 1 < len(lines) else float("inf")
    except Exception:
        return float("inf")


def _table(rows: list[list[str | None]], max_cols: int, name: str, page: int) -> Table:
    grid: list[list[Cell]] = []
    for raw in rows:
        raw = list(raw[:max_cols])
        texts = [c for c in raw if c is not None and c.strip()]
        across = len(texts) == 1 and sum(c is None for c in raw) >= 2
        row: list[Cell] = []
        for c, value in enumerate(raw):
            if value is not None:
                row.append(Cell(_clean(value)))
            elif across and row:
                row.append(Cell(row[-1].text, merged_left=True))
            elif grid and c < len(grid[-1]) and grid[-1][c].text:
                row.append(Cell(grid[-1][c].text, merged_above=True))
            else:
                row.append(Cell(""))
        grid.append(row)
    return Table(grid, name, locate=lambda r, c, p=page, n=name: f"第{p}页 {n} 第{r + 1}行 {col_letter(c)}列")


def _clean(text: str) -> str:
    """Cell text as printed: lines kept (a unit per line), the wrap spaces pdfplumber adds removed."""
    return "\n".join(_CJK_SPACE.sub("", line).strip() for line in text.split("\n")).strip()
