"""Word (.docx) notices as blocks: paragraphs and tables in document order, merged cells resolved.

Opened with python-docx (its lxml parser does not resolve entities) only after `safety.open_zip`.
"""

from __future__ import annotations

import io
import warnings

from .blocks import Block, Cell, Paragraph, Table, col_letter
from .problems import ConversionError, Problem
from .text import match_numbering

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
    reader = _Reader(max_rows, max_cols, Numbering(document))
    reader.walk(body)
    return reader.blocks


class _Reader:
    def __init__(self, max_rows: int, max_cols: int, numbering: Numbering):
        self.numbering = numbering
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
                label = self.numbering.label(child)
                if label and text.strip() and not match_numbering(text.strip()):
                    text = label + text.strip()
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


_CN_DIGITS = "〇一二三四五六七八九"


def _chinese(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def _format(n: int, fmt: str) -> str:
    if fmt.startswith(("chinese", "ideograph", "taiwanese", "japaneseCounting")) and n < 100:
        return _chinese(n)
    if fmt == "decimalEnclosedCircle" and 1 <= n <= 20:
        return chr(ord("①") + n - 1)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    return str(n)


class Numbering:
    """Word's automatic list numbers (w:numPr), rendered back into the text: `1.` `(一)` `一、`.

    python-docx reads only the typed text; a notice numbered with Word lists would lose its outline.
    """

    def __init__(self, document):
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}
        self.style_num: dict[str, tuple[str, int]] = {}
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except Exception:  # no numbering part: nothing is auto-numbered
            return
        abstract: dict[str, dict[int, tuple[int, str, str]]] = {}
        for an in root.iterchildren(f"{W}abstractNum"):
            lvls = {}
            for lvl in an.iterchildren(f"{W}lvl"):
                ilvl = _int(lvl.get(f"{W}ilvl"), 0)
                start = _int(_attr(lvl.find(f"{W}start")), 1)
                fmt = _attr(lvl.find(f"{W}numFmt")) or "decimal"
                text = _attr(lvl.find(f"{W}lvlText")) or ""
                lvls[ilvl] = (start, fmt, text)
            abstract[an.get(f"{W}abstractNumId", "")] = lvls
        for num in root.iterchildren(f"{W}num"):
            ref = _attr(num.find(f"{W}abstractNumId"))
            if ref in abstract:
                self.levels[num.get(f"{W}numId", "")] = abstract[ref]
        try:
            styles = document.styles.element
        except Exception:
            return
        for style in styles.iterchildren(f"{W}style"):
            num_pr = style.find(f"{W}pPr/{W}numPr")
            if num_pr is not None:
                num_id = _attr(num_pr.find(f"{W}numId"))
                if num_id:
                    self.style_num[style.get(f"{W}styleId", "")] = (
                        num_id,
                        _int(_attr(num_pr.find(f"{W}ilvl")), 0),
                    )

    def label(self, p) -> str:
        ppr = p.find(f"{W}pPr")
        if ppr is None:
            return ""
        num_pr = ppr.find(f"{W}numPr")
        if num_pr is not None:
            num_id = _attr(num_pr.find(f"{W}numId")) or ""
            ilvl = _int(_attr(num_pr.find(f"{W}ilvl")), 0)
        else:
            style = _attr(ppr.find(f"{W}pStyle")) or ""
            if style not in self.style_num:
                return ""
            num_id, ilvl = self.style_num[style]
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels or not 0 <= ilvl < 9:
            return ""
        start, fmt, text = levels[ilvl]
        if fmt in ("bullet", "none") or not text:
            return ""
        counts = self.counters.setdefault(num_id, [0] * 9)
        counts[ilvl] = counts[ilvl] + 1 if counts[ilvl] else start
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = 0
        out = text
        for level in range(ilvl, -1, -1):
            value = counts[level] or levels.get(level, (1, "", ""))[0]
            lvl_fmt = levels.get(level, (1, "decimal", ""))[1]
            out = out.replace(f"%{level + 1}", _format(value, lvl_fmt))
        return out


def _attr(el) -> str | None:
    return None if el is None else el.get(f"{W}val")


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
