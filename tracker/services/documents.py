"""Documents the office hands out: the rectification list (整改清单) as a Word file in the official
layout and as Excel, and Excel exports of every ledger (reports, reminders, findings, extensions).

The Word layout follows GB/T 9704-2012 (党政机关公文格式): A4 with a 156 × 225 mm type area (top
37 mm, bottom 35 mm, left 28 mm, right 26 mm); the issuer's mark (发文机关标志) in red 小标宋; the
document number (发文字号) centred under it; a red rule the width of the type area; the title in
小标宋 2号 centred; the addressee and body in 仿宋 3号 on a 28 pt grid; issuer and date at the end,
four characters from the right; page numbers in 宋体 4号 as "— 1 —". Fonts are named as Word users
have them; a machine without them substitutes its own CJK fonts.

Every spreadsheet cell that holds text a person typed goes through `cells.set_cell`, so nothing
that starts with = + - @ ever runs as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from tracker.clock import TZ
from tracker.rules.periods import local_date
from tracker.services import labels
from tracker.services.cells import file_text, print_setup, set_cell
from tracker.services.scoping import Scope
from tracker.services.supervision import (
    DECISION_LABELS,
    SEVERITY_LABELS,
    STATE_LABELS,
    ListDetail,
    rectification_list_detail,
)
from tracker.store.models import (
    Assignment,
    Delivery,
    Finding,
    FindingEvent,
    Measure,
    Plan,
    Reminder,
    Report,
    ReportReturn,
    ReportRevision,
    Unit,
    User,
)

RED = RGBColor(0xFF, 0x00, 0x00)
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEI_FONT = "黑体"
SONG_FONT = "宋体"
SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
SIZE_S4 = Pt(12)  # 小四
ZERO = Pt(0)
LINE = Pt(28)  # 22 lines of 28 characters on the 225 mm type area
TYPE_WIDTH_MM = 156
# 序号 / 问题 / 涉及措施 / 整改时限 / 状态: widths in mm adding up to the type area.
TABLE_COLUMNS = (("序号", 14), ("问题", 64), ("涉及措施", 32), ("整改时限", 26), ("状态", 20))
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ROLE_LABELS = labels.ASSIGNMENT_ROLES
STEP_LABELS = {1: "蓝色（提醒）", 2: "黄色（督办）", 3: "红色（通报）"}
REMINDER_KINDS = {
    "report_due": "报送提醒",
    "report_missing": "缺报催办",
    "report_late": "迟报催办",
    "finding_overdue": "整改逾期催办",
    "manual": "人工催办",
}


def cn_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def moment_text(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------- Word


def _fonts(run, name: str, size, *, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for key in ("w:eastAsia", "w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(key), name)


def _run(paragraph, text: str = ""):
    """A run of text in a Word paragraph; control characters that XML cannot hold are dropped."""
    return paragraph.add_run(file_text(text))


def _paragraph(
    doc_or_cell,
    text: str = "",
    *,
    font=BODY_FONT,
    size=SIZE_3,
    align=None,
    bold=False,
    color=None,
    indent_chars: int = 0,
    right_chars: int = 0,
    before=ZERO,
    after=ZERO,
    exact=LINE,
):
    p = doc_or_cell.add_paragraph()
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after = before, after
    if exact is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = exact
    if align is not None:
        p.alignment = align
    if indent_chars:
        fmt.first_line_indent = Pt(size.pt * indent_chars)
    if right_chars:
        fmt.right_indent = Pt(size.pt * right_chars)
    if text:
        _fonts(_run(p, text), font, size, bold=bold, color=color)
    return p


def _red_rule(paragraph) -> None:
    """A red line under the paragraph, the width of the type area (版头分隔线)."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", "FF0000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    # The schema fixes the order of paragraph properties; a border after spacing or alignment is ignored.
    paragraph._p.get_or_add_pPr().insert_element_before(borders, *_AFTER_PBDR)


_AFTER_PBDR = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)

WORD_ENDS = set("的局委办区县市镇乡街室院会部厅、")

# How each font looks, for a machine that lacks it: Word and LibreOffice pick a substitute of the
# same family (仿宋 and 小标宋 are serif faces; 黑体 is sans).
FONT_HINTS = {
    TITLE_FONT: ("roman", "宋体"),
    BODY_FONT: ("roman", "仿宋"),
    SONG_FONT: ("roman", "SimSun"),
    HEI_FONT: ("swiss", "SimHei"),
}


def _font_table(doc) -> None:
    from lxml import etree

    part = next(r.target_part for r in doc.part.rels.values() if r.reltype.endswith("/fontTable"))
    root = etree.fromstring(part.blob)
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    for name, (family, alt) in FONT_HINTS.items():
        font = etree.SubElement(root, f"{{{w}}}font", {f"{{{w}}}name": name})
        etree.SubElement(font, f"{{{w}}}altName", {f"{{{w}}}val": alt})
        etree.SubElement(font, f"{{{w}}}charset", {f"{{{w}}}val": "86"})  # GB2312
        etree.SubElement(font, f"{{{w}}}family", {f"{{{w}}}val": family})
        etree.SubElement(font, f"{{{w}}}pitch", {f"{{{w}}}val": "variable"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def title_lines(title: str, per_line: int = 20) -> list[str]:
    """A title too long for one line of 2号 type, cut into lines of near-equal length (GB/T 9704 asks
    for a trapezoid or diamond), each cut moved by up to three characters to fall after a word end
    such as 的, 关于 or a unit name's last character, so that no word is split across lines."""
    if len(title) <= per_line:
        return [title]
    count = -(-len(title) // per_line)
    lines, rest = [], title
    while count > 1:
        target = -(-len(rest) // count)
        candidates = [
            cut
            for cut in range(max(1, target - 3), min(len(rest) - 1, target + 3, per_line) + 1)
            if rest[cut - 1] in WORD_ENDS or rest[:cut].endswith("关于")
        ]
        cut = min(candidates, key=lambda c: (abs(c - target), -c)) if candidates else min(target, per_line)
        lines.append(rest[:cut])
        rest, count = rest[cut:], count - 1
    return [*lines, rest]


def _page_number(section) -> None:
    """ "— 1 —" in 宋体 4号 at the foot of every page."""
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(_run(footer, "— "), SONG_FONT, SIZE_4)
    run = _run(footer)
    _fonts(run, SONG_FONT, SIZE_4)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    _fonts(_run(footer, " —"), SONG_FONT, SIZE_4)


def _cell_width(cell, mm: int) -> None:
    cell.width = Mm(mm)


def _table(doc, detail: ListDetail):
    table = doc.add_table(rows=1, cols=len(TABLE_COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, (_, width) in zip(table.columns, TABLE_COLUMNS, strict=True):
        column.width = Mm(width)
    header = table.rows[0]
    # The header row repeats on every page of a long list.
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for cell, (label, width) in zip(header.cells, TABLE_COLUMNS, strict=True):
        _cell_width(cell, width)
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _fonts(_run(p, label), HEI_FONT, SIZE_S4)
    for number, row in enumerate(detail.findings, 1):
        f = row.finding
        measure = "—"
        if f.measure_id:
            measure = f"{row.measure_code} {f.measure.title}"
        cells = table.add_row().cells
        values = (str(number), None, measure, cn_day(f.rectify_by), STATE_LABELS[f.state])
        for index, (cell, value, (_, width)) in enumerate(zip(cells, values, TABLE_COLUMNS, strict=True)):
            _cell_width(cell, width)
            p = cell.paragraphs[0]
            if index == 1:
                _fonts(_run(p, f.title), BODY_FONT, SIZE_S4, bold=True)
                if f.detail:
                    _fonts(_run(p, "\n" + f.detail), BODY_FONT, SIZE_S4)
                _fonts(
                    _run(p, f"（问题等级：{SEVERITY_LABELS.get(f.severity, f.severity)}）"),
                    BODY_FONT,
                    SIZE_S4,
                )
            else:
                if index in (0, 3, 4):
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _fonts(_run(p, value), BODY_FONT, SIZE_S4)
    return table


def rectification_docx(scope: Scope, list_id: int) -> bytes:
    """The rectification list as a Word document in the official layout (see the module's note)."""
    detail = rectification_list_detail(scope, list_id)
    rl = detail.rectification_list
    issued = local_date(rl.issued_at)
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(28)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, SIZE_3
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    _font_table(doc)
    doc.core_properties.title = rl.title
    doc.core_properties.author = detail.issuer
    doc.core_properties.created = rl.issued_at.astimezone(TZ).replace(tzinfo=None)
    doc.core_properties.modified = rl.issued_at.astimezone(TZ).replace(tzinfo=None)
    doc.core_properties.last_modified_by = detail.issuer
    doc.core_properties.revision = 1

    # 版头: the issuer's mark, as large as fits the type area, then the number and the red rule.
    mark = f"{detail.issuer}文件"
    size = Pt(min(36, int(TYPE_WIDTH_MM * 2.83 / max(len(mark), 1))))
    _paragraph(
        doc,
        mark,
        font=TITLE_FONT,
        size=size,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        color=RED,
        before=Pt(20),
        exact=None,
    )
    _paragraph(doc, exact=LINE)
    number = _paragraph(doc, rl.doc_number or "", align=WD_ALIGN_PARAGRAPH.CENTER, after=Mm(4))
    _red_rule(number)
    _paragraph(doc)
    # 主体: title, addressee, body, the findings table.
    title = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, exact=Pt(35))
    for index, line in enumerate(title_lines(rl.title)):
        if index:
            title.runs[-1].add_break()
        _fonts(_run(title, line), TITLE_FONT, SIZE_2)
    _paragraph(doc)
    lines = [line.strip() for line in (rl.body or "").splitlines() if line.strip()]
    addressee = f"{detail.unit.name}："
    if lines and lines[0].rstrip(":：") == detail.unit.name:
        lines = lines[1:]
    _paragraph(doc, addressee)
    for line in lines:
        _paragraph(doc, line, indent_chars=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _paragraph(doc, f"附：问题清单（共{len(detail.findings)}项）", indent_chars=2)
    _table(doc, detail)
    # 署名 and 成文日期, four characters from the right margin.
    _paragraph(doc)
    _paragraph(doc)
    _paragraph(doc, detail.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
    _paragraph(doc, cn_day(issued), align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
    _page_number(section)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- Excel


def _workbook(
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    widths: Sequence[int],
    caption: Sequence[str] = (),
) -> bytes:
    """One sheet: optional caption lines, a bold header, then the rows; every value through set_cell."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = f"A{len(caption) + 2}"
    print_setup(ws, len(caption) + 1, len(header))
    bold = Font(bold=True)
    for line in caption:
        cell = set_cell(WriteOnlyCell(ws), line)
        cell.font = bold
        ws.append([cell])
    head = []
    for label in header:
        cell = set_cell(WriteOnlyCell(ws), label)
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        head.append(cell)
    ws.append(head)
    wrap = Alignment(vertical="top", wrap_text=True)
    for values in rows:
        out = []
        for value in values:
            cell = set_cell(WriteOnlyCell(ws), value)
            if isinstance(value, date) and not isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd"
            cell.alignment = wrap
            out.append(cell)
        ws.append(out)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _last_answers(finding_ids: Sequence[int]) -> dict[int, FindingEvent]:
    answers = {}
    for e in (
        FindingEvent.select()
        .where(FindingEvent.finding.in_(list(finding_ids) or [0]), FindingEvent.kind == "answer")
        .order_by(FindingEvent.at, FindingEvent.id)
    ):
        answers[e.finding_id] = e
    return answers


def rectification_xlsx(scope: Scope, list_id: int) -> bytes:
    """The rectification list as a spreadsheet: a caption with title, 文号 and unit, then one row per finding."""
    detail = rectification_list_detail(scope, list_id)
    rl = detail.rectification_list
    answers = _last_answers([r.finding.id for r in detail.findings])
    rows = []
    for number, row in enumerate(detail.findings, 1):
        f = row.finding
        answer = answers.get(f.id)
        rows.append(
            (
                number,
                f.title,
                f.detail,
                f"{row.measure_code} {f.measure.title}" if f.measure_id else "",
                SEVERITY_LABELS.get(f.severity, f.severity),
                f.rectify_by,
                STATE_LABELS[f.state],
                answer.note if answer else "",
                moment_text(f.closed_at),
            )
        )
    return _workbook(
        "整改清单",
        ("序号", "问题", "问题详情", "涉及措施", "问题等级", "整改时限", "状态", "整改情况", "销号时间"),
        rows,
        (6, 30, 40, 30, 10, 12, 14, 40, 17),
        caption=(
            rl.title,
            f"文号：{rl.doc_number or ''}",
            f"整改单位：{detail.unit.name}    下发单位：{detail.issuer}    下发日期：{cn_day(local_date(rl.issued_at))}",
        ),
    )


LEDGERS = {
    "reports": "月调度报送台账",
    "reminders": "催办台账",
    "findings": "问题台账",
    "extensions": "延期申请台账",
}


class UnknownLedger(LookupError):
    pass


def ledger_xlsx(scope: Scope, kind: str, plan_id: int | None = None) -> bytes:
    """One ledger as a spreadsheet, restricted to what the person may read (a plan's rows when given)."""
    builders = {
        "reports": _reports_ledger,
        "reminders": _reminders_ledger,
        "findings": _findings_ledger,
        "extensions": _extensions_ledger,
    }
    if kind not in builders:
        raise UnknownLedger(kind)
    return builders[kind](scope, plan_id)


def _plan_names() -> dict[str, str]:
    """plan code → the short name a ledger's 方案 column shows (never the code)."""
    return {p.code: labels.plan_short(p.title) for p in Plan.select(Plan.code, Plan.title)}


def _names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i})
    return {
        u.id: u.display_name
        for u in User.select(User.id, User.display_name).where(User.id.in_(wanted or [0]))
    }


def _reports_ledger(scope: Scope, plan_id: int | None) -> bytes:
    query = (
        ReportRevision.select(ReportRevision, Report, Assignment, Measure, Plan, Unit)
        .join(Report)
        .join(Assignment)
        .join(Measure)
        .join(Plan)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
    )
    query = scope.restrict(query, Assignment.unit)
    if plan_id:
        query = query.where(Measure.plan == plan_id)
    revisions = list(query.order_by(Plan.code, Report.period, Measure.id, Unit.name, ReportRevision.number))
    returns = {}
    for r in ReportReturn.select().where(ReportReturn.revision.in_([r.id for r in revisions] or [0])):
        returns.setdefault(r.revision_id, r.reason)
    names = _names(r.author_id for r in revisions)
    rows = (
        (
            labels.plan_short(r.report.assignment.measure.plan.title),
            r.report.assignment.measure.code,
            r.report.assignment.measure.title,
            r.report.assignment.unit.name,
            ROLE_LABELS.get(r.report.assignment.role, r.report.assignment.role),
            r.report.period,
            r.number,
            moment_text(r.recorded_at),
            names.get(r.author_id, ""),
            r.percent,
            "是" if r.complete else "否",
            r.narrative,
            r.problems,
            r.next_steps,
            "是" if r.id in returns else "否",
            returns.get(r.id, ""),
        )
        for r in revisions
    )
    return _workbook(
        LEDGERS["reports"],
        (
            "方案",
            "措施编号",
            "措施名称",
            "单位",
            "职责",
            "报送期",
            "版本",
            "报送时间",
            "报送人",
            "完成进度(%)",
            "是否完成",
            "工作进展",
            "存在问题",
            "下步计划",
            "是否退回",
            "退回原因",
        ),
        rows,
        (14, 10, 30, 24, 8, 10, 6, 17, 14, 10, 8, 40, 30, 30, 8, 30),
    )


def _reminders_ledger(scope: Scope, plan_id: int | None) -> bytes:
    query = Reminder.select(Reminder, Unit).join(Unit, on=(Reminder.unit == Unit.id))
    query = scope.restrict(query, Reminder.unit)
    reminders = list(query.order_by(Reminder.created_at, Reminder.id))
    measures = {
        a.id: a
        for a in Assignment.select(Assignment, Measure, Plan)
        .join(Measure)
        .join(Plan)
        .where(Assignment.id.in_([r.assignment_id for r in reminders if r.assignment_id] or [0]))
    }
    findings = {
        f.id: f
        for f in Finding.select().where(
            Finding.id.in_([r.finding_id for r in reminders if r.finding_id] or [0])
        )
    }
    deliveries: dict[int, list[str]] = {}
    for d in (
        Delivery.select().where(Delivery.reminder.in_([r.id for r in reminders] or [0])).order_by(Delivery.id)
    ):
        deliveries.setdefault(d.reminder_id, []).append(labels.delivery_text(d.channel, d.status))
    who = labels.actor_names(r.created_by for r in reminders)
    rows = []
    for r in reminders:
        a = measures.get(r.assignment_id)
        f = findings.get(r.finding_id)
        plan_name = labels.plan_short(a.measure.plan.title) if a else None
        if plan_id:
            owner = a.measure.plan_id if a else (f.plan_id if f else None)
            if owner != plan_id:
                continue
        rows.append(
            (
                moment_text(r.created_at),
                plan_name or "",
                r.unit.name,
                a.measure.code if a else "",
                f.title if f else "",
                r.period or "",
                REMINDER_KINDS.get(r.kind, r.kind),
                STEP_LABELS.get(r.step, str(r.step)),
                r.message,
                who.get(r.created_by, r.created_by),
                "；".join(deliveries.get(r.id, [])),
            )
        )
    return _workbook(
        LEDGERS["reminders"],
        (
            "催办时间",
            "方案",
            "单位",
            "措施编号",
            "问题",
            "报送期",
            "类型",
            "督办级别",
            "内容",
            "发起",
            "送达情况",
        ),
        rows,
        (17, 14, 24, 10, 24, 10, 12, 12, 40, 12, 24),
    )


def _findings_ledger(scope: Scope, plan_id: int | None) -> bytes:
    from tracker.services.supervision import finding_ledger

    rows_in = finding_ledger(scope, plan_id=plan_id)
    rows_in.sort(key=lambda r: r.finding.id)
    answers = _last_answers([r.finding.id for r in rows_in])
    plans = _plan_names()
    rows = []
    for r in rows_in:
        f = r.finding
        answer = answers.get(f.id)
        rows.append(
            (
                f.id,
                plans.get(r.plan_code, r.plan_code or ""),
                r.unit_label,
                f.unit.name,
                r.measure_code or "",
                f.title,
                f.detail,
                r.severity_label,
                moment_text(f.created_at),
                f.rectify_by,
                r.state_label,
                "是" if r.overdue else "否",
                r.list_number or "",
                answer.note if answer else "",
                moment_text(f.closed_at),
                "是" if f.public else "否",
            )
        )
    return _workbook(
        LEDGERS["findings"],
        (
            "编号",
            "方案",
            "单位简称",
            "单位",
            "措施编号",
            "问题",
            "问题详情",
            "等级",
            "立项时间",
            "整改时限",
            "状态",
            "是否逾期",
            "整改清单文号",
            "最近整改情况",
            "销号时间",
            "摘要公开",
        ),
        rows,
        (6, 14, 14, 24, 10, 30, 40, 8, 17, 12, 14, 8, 18, 40, 17, 8),
    )


def _extensions_ledger(scope: Scope, plan_id: int | None) -> bytes:
    from tracker.services.supervision import extension_requests

    items = extension_requests(scope, "all", plan_id)
    items.sort(key=lambda r: (r.request.requested_at, r.request.id))
    plans = _plan_names()
    rows = (
        (
            plans.get(r.plan_code, r.plan_code),
            r.measure_code,
            r.measure_title,
            r.unit_label,
            r.requested_by,
            moment_text(r.request.requested_at),
            r.request.current_deadline,
            r.request.requested_deadline,
            r.request.reason,
            DECISION_LABELS.get(r.request.decision, "待审核"),
            r.request.new_deadline,
            r.request.decision_reason,
            r.decided_by or "",
            moment_text(r.request.decided_at),
        )
        for r in items
    )
    return _workbook(
        LEDGERS["extensions"],
        (
            "方案",
            "措施编号",
            "措施名称",
            "单位",
            "申请人",
            "申请时间",
            "原完成时限",
            "申请延至",
            "申请理由",
            "审核结果",
            "批准延至",
            "审核意见",
            "审核人",
            "审核时间",
        ),
        rows,
        (14, 10, 30, 16, 14, 17, 12, 12, 40, 10, 12, 30, 14, 17),
    )


__all__ = [
    "DOCX_TYPE",
    "LEDGERS",
    "XLSX_TYPE",
    "UnknownLedger",
    "ledger_xlsx",
    "rectification_docx",
    "rectification_xlsx",
]
