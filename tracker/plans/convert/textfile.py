"""Plain text and Markdown notices (copied from a web page or a Word file) as blocks.

Runs of lines with `|` cells (Markdown tables) or tab-separated cells (pasted from Excel) become tables.
"""

from __future__ import annotations

import codecs
import re

from .blocks import Block, Cell, Paragraph, Table
from .problems import ConversionError, Problem


def decode(data: bytes, name: str = "") -> str:
    """Bytes → text: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030; binary is refused."""
    where = name or "文件"
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ConversionError([Problem(where, f"UTF-16 文本无法解码: {exc.reason}")]) from None
    if b"\x00" in data:
        raise ConversionError([Problem(where, "不是文本文件(含二进制内容),也不是 .docx 或 .xlsx")])
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ConversionError([Problem(where, "无法识别文本编码(应为 UTF-8 或 GB18030/GBK)")])
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    if controls > max(8, len(text) // 50):
        raise ConversionError([Problem(where, "不是文本文件(控制字符过多)")])
    return text


_MD_PREFIX = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+(?=\S))")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def text_blocks(text: str, markdown: bool = False) -> list[Block]:
    """One paragraph per non-empty line ("第N行"); `|` or tab rows become a table."""
    blocks: list[Block] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines):
        start = i
        kind = _row_kind(lines[i])
        if kind:
            rows: list[tuple[int, list[str]]] = []
            while i < len(lines) and (
                _row_kind(lines[i]) == kind or (kind == "|" and _MD_RULE.match(lines[i]))
            ):
                if not _MD_RULE.match(lines[i]):
                    rows.append((i + 1, _cells(lines[i], kind)))
                i += 1
            if len(rows) >= 2:
                blocks.append(_table(rows, start))
                continue
            i = start
        line = lines[i]
        if markdown:
            line = _MD_PREFIX.sub("", line).replace("**", "").replace("__", "")
        if line.strip():
            blocks.append(Paragraph(line.strip(), f"第{i + 1}行"))
        i += 1
    return blocks


def _row_kind(line: str) -> str | None:
    stripped = line.strip()
    if stripped.count("|") >= 2:
        return "|"
    if stripped.count("\t") >= 2:
        return "\t"
    return None


def _cells(line: str, kind: str) -> list[str]:
    stripped = line.strip()
    if kind == "|":
        stripped = stripped.strip("|")
        # Markdown line breaks inside a cell
        return [c.strip().replace("<br>", "\n").replace("<br/>", "\n") for c in stripped.split("|")]
    return [c.strip() for c in stripped.split("\t")]


def _table(rows: list[tuple[int, list[str]]], start: int) -> Table:
    width = max(len(cells) for _, cells in rows)
    grid = [[Cell(c) for c in cells] + [Cell("") for _ in range(width - len(cells))] for _, cells in rows]
    line_numbers = [n for n, _ in rows]

    def locate(r: int, c: int) -> str:
        return f"第{line_numbers[r]}行 第{c + 1}栏"

    return Table(grid, f"第{start + 1}行的表格", locate)
