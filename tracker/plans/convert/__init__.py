"""`tracker convert`: a task-division notice (.txt/.md, .docx, .xlsx) becomes a plan file to review.

`convert_path` returns the plan as plain data or raises `ConversionError` listing what it could not read;
`convert` returns the plan with those problems and the review notes, for a page that shows both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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
    flags: dict[str, list[str]] = field(default_factory=dict)  # measure code → what to check
    locations: dict[str, list[str]] = field(default_factory=dict)  # measure code → lines it was read from
    reading: Any = None  # the `Reading` the plan was made from (blocks to show beside the draft)

    def flag(self, code: str, what: str) -> None:
        why = self.flags.setdefault(code, [])
        if what not in why:
            why.append(what)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def measures(self) -> int:
        return sum(1 for _ in walk_measures(self.plan.get("sections", [])))

    def review(self) -> list[Problem]:
        """Every line a reviewer must look at: what could not be read, then what to check."""
        return list(self.problems) + list(self.warnings)

    def summary(self) -> str:
        """`38 项措施：31 项完整，5 项缺牵头单位，2 项时限无法识别`."""
        return review_summary(self.measures, self.flags)


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


def convert_bytes(
    data: bytes, name: str = "notice.txt", limits: Limits = LIMITS, known_units: Iterable[str] = ()
) -> Conversion:
    """Convert a notice given as bytes; `name` gives the expected type by its extension.

    `known_units` (names already stored) let OCR misreadings of unit names be corrected. Anything
    other than `ConversionError` raised while reading is a defect; it is reported as one, never raised.
    """
    if len(data) > limits.max_file_bytes:
        raise fail(name, f"文件 {len(data)} 字节,超过上限 {limits.max_file_bytes} 字节")
    try:
        reading = read_notice(data, name, limits)
        result = convert_blocks(reading.blocks, name, reading.kind)
        if reading.scanned:
            _review_scan(result, reading, list(known_units))
    except ConversionError:
        raise
    except RecursionError:
        raise fail(name, "通知的结构嵌套过深,无法读取") from None
    except Exception as exc:  # never a traceback for a notice: name it and keep the file for a person
        raise fail(
            name, f"转换器无法读取该文件({type(exc).__name__}),请人工录入或将文件反馈维护人员"
        ) from None
    result.reading = reading
    return result


def convert_text(text: str, name: str = "notice.txt") -> Conversion:
    """Convert a notice given as text (pasted from a web page)."""
    markdown = Path(name).suffix.lower() in (".md", ".markdown")
    return convert_blocks(text_blocks(text, markdown), name, "Markdown" if markdown else "文本")


@dataclass
class Reading:
    """A notice as blocks, the name of its format, and for a scan the lines read with low confidence."""

    blocks: list[Block]
    kind: str
    scanned: bool = False
    low: set[str] = field(default_factory=set)


def read_blocks(data: bytes, name: str, limits: Limits = LIMITS) -> tuple[list[Block], str]:
    reading = read_notice(data, name, limits)
    return reading.blocks, reading.kind


_OLD_KINDS = {
    ".doc": "Word(.doc)",
    ".wps": "WPS 文字",
    ".xls": "Excel(.xls)",
    ".et": "WPS 表格",
    ".rtf": "RTF",
}


def read_notice(data: bytes, name: str, limits: Limits = LIMITS) -> Reading:
    """Bytes → blocks, choosing the reader by content and checking it against the extension."""
    ext = Path(name).suffix.lower()
    kind = sniff(data)
    if kind in ("ole", "rtf") or (ext in (".wps", ".et") and kind == "zip"):
        from .office import target_for, to_ooxml

        target = target_for(data, name)
        converted = to_ooxml(data, name, target)
        inner = read_notice(converted, f"{Path(name).stem or 'notice'}.{target}", limits)
        label = _OLD_KINDS.get(ext) or ("Excel(.xls)" if target == "xlsx" else "Word(.doc)")
        return Reading(inner.blocks, label)
    if kind == "pdf":
        from .ocr import ocr_pdf
        from .pdf import pdf_blocks

        blocks, scanned = pdf_blocks(data, name, limits.max_rows, limits.max_cols)
        if not scanned:
            return Reading(blocks, "PDF")
        ocr = ocr_pdf(data, name)
        return Reading(list(ocr.paragraphs), "扫描 PDF", True, ocr.low)
    if kind == "image":
        from .ocr import ocr_image

        ocr = ocr_image(data, name)
        return Reading(list(ocr.paragraphs), "扫描图片", True, ocr.low)
    if ext in (".docx", ".xlsx") and kind != "zip":
        raise fail(name, f"扩展名是 {ext},但内容不是 Office 文件(应为 zip 压缩包)")
    if ext in (".pdf", ".png", ".jpg", ".jpeg", ".doc", ".xls", ".wps", ".et") and kind == "text":
        raise fail(name, f"扩展名是 {ext},但内容不是该类型的文件")
    if kind == "zip":
        archive, office = open_zip(data, name, limits)
        archive.close()
        if ext in (".docx", ".xlsx") and ext[1:] != office:
            raise fail(name, f"扩展名是 {ext},内容却是 .{office} 文件")
        if office == "docx":
            from .docx import docx_blocks

            return Reading(docx_blocks(data, name, limits.max_rows, limits.max_cols), "Word")
        from .xlsx import xlsx_blocks

        return Reading(xlsx_blocks(data, name, limits.max_rows, limits.max_cols), "Excel")
    if len(data) > limits.max_text_bytes:
        raise fail(name, f"文本 {len(data)} 字节,超过上限 {limits.max_text_bytes} 字节")
    markdown = ext in (".md", ".markdown")
    return Reading(text_blocks(decode(data, name), markdown), "Markdown" if markdown else "文本")


def _review_scan(result: Conversion, reading: Reading, known: list[str]) -> None:
    """A scan: correct unit names against the notice's own and the stored ones, and mark every measure
    read from a line of low confidence."""
    from .ocr import fix_units

    for code, read, fixed in fix_units(result.plan, known):
        result.warnings.append(
            Problem("", f"措施 {code}: 识别为「{read}」的单位按已知单位校正为「{fixed}」,请核对")
        )
        result.flag(code, "unit_corrected")
    for m in walk_measures(result.plan.get("sections", [])):
        where = next((w for w in result.locations.get(str(m["code"]), []) if w in reading.low), None)
        if where:
            result.warnings.append(
                Problem(where, f"措施 {m['code']}「{m['title']}」所在行识别置信度低,请对照原件核对")
            )
            result.flag(str(m["code"]), "low_confidence")


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
    named = sum(1 for m in walk_measures(built.sections) if m.get("leaders"))
    if named:
        built.warnings.append(
            Problem(
                "",
                f"{named} 项措施写明了责任领导等人员，记在 leaders 字段（人员，不是单位，不分配任务）",
            )
        )
    return Conversion(plan, built.problems, built.warnings, built.flags, locations=built.locations)


_FLAG_NAMES = (
    ("no_lead", "缺牵头单位"),
    ("bad_deadline", "时限无法识别"),
    ("prose_deadline", "时限取自正文"),
    ("low_confidence", "识别置信度低"),
    ("unit_corrected", "单位名称经校正"),
)


def review_summary(count: int, flags: dict[str, list[str]]) -> str:
    """One line for the clerk: how many measures are complete and what the others lack."""
    flagged = {code for code, why in flags.items() if why}
    parts = [f"{count - len(flagged)} 项完整"]
    for key, name in _FLAG_NAMES:
        n = sum(1 for why in flags.values() if key in why)
        if n:
            parts.append(f"{n} 项{name}")
    return f"{count} 项措施：" + "，".join(parts)


def walk_measures(sections: list[dict[str, Any]]):
    for s in sections:
        yield from s.get("measures", [])
        yield from walk_measures(s.get("sections", []))


def _assigns_units(sections: list[dict[str, Any]]) -> bool:
    for s in sections:
        for m in s.get("measures", []):
            if m["lead"] or m["responsible"] or m["supporting"]:
                return True
        if _assigns_units(s.get("sections", [])):
            return True
    return False
