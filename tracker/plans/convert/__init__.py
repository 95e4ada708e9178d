"""`tracker convert`: a task-division notice (.txt/.md, .docx, .xlsx) becomes a plan file to review.

`convert_path` returns the plan as plain data or raises `ConversionError` listing what it could not read;
`convert` returns the plan with those problems and the review notes, for a page that shows both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .blocks import Block
from .metadata import read_metadata
from .output import dump_json, dump_yaml
from .problems import ConversionError, Problem
from .safety import LIMITS, Limits, fail, open_zip, sniff
from .structure import SectionBuilder
from .text import read_outline
from .textfile import decode, text_blocks

__all__ = [
    "Conversion",
    "ConversionError",
    "Problem",
    "convert",
    "convert_bytes",
    "convert_path",
    "convert_text",
    "dump_json",
    "dump_yaml",
]

# A file named like the shipped plans (xunyi-2024.docx) names its plan; anything else gets a placeholder.
_MEASURE_CODE = re.compile(r"^措施 (\S+?)「.*$")
_SLUG = re.compile(r"^[a-z][a-z0-9-]{0,57}-\d{4}$")


@dataclass
class Conversion:
    """A converted plan, what could not be read (`problems`) and what a reviewer should check (`warnings`)."""

    plan: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def convert_path(path: Path | str) -> dict[str, Any]:
    """Convert the notice at `path`; raise `ConversionError` (with `.problems` and `.plan`) if any part
    of it cannot be read."""
    result = convert(path)
    if result.problems:
        raise ConversionError(result.problems, result.plan)
    return result.plan


def convert(path: Path | str, limits: Limits = LIMITS) -> Conversion:
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise fail(str(path), f"无法读取文件: {exc.strerror or exc}") from None
    if size > limits.max_file_bytes:
        raise fail(path.name, f"文件 {size} 字节,超过上限 {limits.max_file_bytes} 字节")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise fail(str(path), f"无法读取文件: {exc.strerror or exc}") from None
    return convert_bytes(data, path.name, limits)


def convert_bytes(data: bytes, name: str = "notice.txt", limits: Limits = LIMITS) -> Conversion:
    """Convert a notice given as bytes; `name` gives the expected type by its extension."""
    if len(data) > limits.max_file_bytes:
        raise fail(name, f"文件 {len(data)} 字节,超过上限 {limits.max_file_bytes} 字节")
    blocks, kind = read_blocks(data, name, limits)
    return convert_blocks(blocks, name, kind)


def convert_text(text: str, name: str = "notice.txt") -> Conversion:
    """Convert a notice given as text (pasted from a web page)."""
    markdown = Path(name).suffix.lower() in (".md", ".markdown")
    return convert_blocks(text_blocks(text, markdown), name, "Markdown" if markdown else "文本")


def read_blocks(data: bytes, name: str, limits: Limits = LIMITS) -> tuple[list[Block], str]:
    """Bytes → blocks, choosing the reader by content and checking it against the extension."""
    ext = Path(name).suffix.lower()
    kind = sniff(data)
    if kind == "ole":
        raise fail(name, "这是旧版 Word/Excel 文件(.doc/.xls),请另存为 .docx 或 .xlsx 后再转换")
    if kind in ("pdf", "rtf"):
        raise fail(name, f"不支持 {kind.upper()} 文件,请提供 .docx、.xlsx 或文本")
    if ext in (".docx", ".xlsx") and kind != "zip":
        raise fail(name, f"扩展名是 {ext},但内容不是 Office 文件(应为 zip 压缩包)")
    if kind == "zip":
        archive, office = open_zip(data, name, limits)
        archive.close()
        if ext in (".docx", ".xlsx") and ext[1:] != office:
            raise fail(name, f"扩展名是 {ext},内容却是 .{office} 文件")
        if office == "docx":
            from .docx import docx_blocks

            return docx_blocks(data, name, limits.max_rows, limits.max_cols), "Word"
        from .xlsx import xlsx_blocks

        return xlsx_blocks(data, name, limits.max_rows, limits.max_cols), "Excel"
    if len(data) > limits.max_text_bytes:
        raise fail(name, f"文本 {len(data)} 字节,超过上限 {limits.max_text_bytes} 字节")
    markdown = ext in (".md", ".markdown")
    return text_blocks(decode(data, name), markdown), "Markdown" if markdown else "文本"


def convert_blocks(blocks: list[Block], name: str, kind: str) -> Conversion:
    outline = read_outline(blocks)
    stem = Path(name).stem
    meta = read_metadata(outline, stem)
    built = SectionBuilder(outline, meta.year, meta.title or stem or "工作任务").build()
    notes: list[str] = [f"由 tracker convert 从 {name}({kind})转换,待人工审核。"]

    year = meta.year
    code = stem if _SLUG.match(stem or "") else f"notice-{year}" if year else "notice"
    if code != stem:
        notes.append(f"plan.code「{code}」是占位编号,请改为稳定编号。")
    start, end = meta.start, meta.end
    if start is None:
        start = meta.issued or (date(year, 1, 1) if year else None)
        if start:
            notes.append(
                f"通知未写明起止日期: start 取{'发文日期' if meta.issued else '方案年份年初'} {start}。"
            )
    if end is None:
        latest = max(built.deadlines, default=None)
        end = latest if latest and (start is None or latest >= start) else None
        if end is None and (start or year):
            end = date((start.year if start else year), 12, 31)
        if end:
            notes.append(f"end 取{'最晚完成时限' if end == latest else '当年年底'} {end}。")
    if start is None or end is None:
        built.warnings.append(Problem("", "通知中找不到年份,plan.start/plan.end 需人工填写"))
    if not _assigns_units(built.sections):
        notes.append("通知未按牵头/责任单位格式列明单位,各措施单位留空。")
    missing = [w for w in built.warnings if "未列明" in w.reason]
    if missing:
        codes = [_MEASURE_CODE.sub(r"\1", w.reason) for w in missing[:10]]
        where = "、".join(f"{code}({w.location})" for code, w in zip(codes, missing, strict=False))
        more = " 等" if len(missing) > 10 else ""
        notes.append(f"{len(missing)} 项措施未列明单位,留空待补: {where}{more}。")

    plan: dict[str, Any] = {
        "plan": {
            "code": code,
            "title": meta.title or stem or "未命名方案",
            "issuer": meta.issuer,
            "doc_number": meta.doc_number,
            "issued": meta.issued,
            "start": start,
            "end": end,
            "source": " ".join(notes),
        },
        "sections": built.sections,
    }
    return Conversion(plan, built.problems, built.warnings)


def _assigns_units(sections: list[dict[str, Any]]) -> bool:
    for s in sections:
        for m in s.get("measures", []):
            if m["lead"] or m["responsible"] or m["supporting"]:
                return True
        if _assigns_units(s.get("sections", [])):
            return True
    return False
