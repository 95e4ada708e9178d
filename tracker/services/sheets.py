"""The monthly dispatch sheet (调度表): an Excel template out, a filled one back in as report revisions.

The contract is CLI.md "The report sheet": first sheet, header in row 1 with 措施编号, 措施名称, 单位,
报送期, 完成进度(%), 是否完成, 工作进展, 存在问题, 下步计划, then one `指标:<name>` column per
indicator (each followed by its `说明:<name>` note column), then 公开摘要 and 职责. A second sheet,
说明, names the plan and explains how to fill the sheet in.

Import is all or nothing: every row is checked first and any wrong cell rejects the file, each
problem named by row and column. An empty progress cell means "no report for this row"; a row equal
to the latest revision of its period is left alone (so re-importing a prefilled sheet adds nothing).
Revisions are recorded as made by the importing person, at the time of the import, source "import".
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation

from tracker.clock import now
from tracker.rules.indicators import IndicatorWarning
from tracker.rules.periods import Period, ReportPeriod, local_date, parse_period, period_of
from tracker.services import evidence as evidence_service
from tracker.services.cells import print_setup, set_cell
from tracker.services.facts import reporting_rules
from tracker.services.reports import (
    FIELD_LABELS,
    ROLE_LABELS,
    InvalidReport,
    ReportInput,
    cadence_of,
    check_period,
    indicator_warnings,
    parse_decimal,
    previous_values,
    record_revision,
    stored_decimal,
    validate,
)
from tracker.services.scoping import Scope
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import Assignment, Indicator, Measure, Plan, Report, ReportRevision, Unit

MEASURE, TITLE, UNIT, PERIOD, PERCENT, COMPLETE, NARRATIVE, PROBLEMS, NEXT = (
    "措施编号",
    "措施名称",
    "单位",
    "报送期",
    "完成进度(%)",
    "是否完成",
    "工作进展",
    "存在问题",
    "下步计划",
)
SUMMARY, ROLE = "公开摘要", "职责"
FIXED = (MEASURE, TITLE, UNIT, PERIOD, PERCENT, COMPLETE, NARRATIVE, PROBLEMS, NEXT)
REQUIRED = (MEASURE, UNIT, PERIOD, PERCENT, COMPLETE, NARRATIVE, PROBLEMS, NEXT)
INDICATOR_PREFIX, NOTE_PREFIX = "指标:", "说明:"
INFO_SHEET = "说明"
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 200
MAX_CELLS = 400_000
MAX_PROBLEMS = 50
YES, NO = "是", "否"
_PERCENT = re.compile(r"(\d{1,3})(?:\.0+)?\s*%?")
NOT_APPLICABLE = PatternFill("solid", fgColor="E5E7EB")
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


class SheetError(ValueError):
    """A sheet that is refused as a whole; `problems` name each row and column (第5行 E列…)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# ---------------------------------------------------------------- the template


def _plan(code: str) -> Plan:
    plan = Plan.get_or_none(Plan.code == code)
    if plan is None:
        raise SheetError([f"没有编号为 {code!r} 的方案"])
    return plan


def _plan_rows(plan: Plan, unit_id: int | None = None) -> list[Assignment]:
    query = (
        Assignment.select(Assignment, Measure, Unit)
        .join(Measure)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(Measure.plan == plan.id, Measure.archived_at.is_null(), Assignment.archived_at.is_null())
        .order_by(Measure.position, Measure.id, Assignment.position, Assignment.id)
    )
    if unit_id is not None:
        query = query.where(Assignment.unit == unit_id)
    return list(query)


def _plan_indicators(plan: Plan) -> list[Indicator]:
    return list(
        Indicator.select(Indicator, Measure)
        .join(Measure)
        .where(Measure.plan == plan.id, Measure.archived_at.is_null(), Indicator.archived_at.is_null())
        .order_by(Measure.position, Measure.id, Indicator.position, Indicator.id)
    )


def _indicator_names(indicators: list[Indicator]) -> list[str]:
    names = []
    for i in indicators:
        if i.name not in names:
            names.append(i.name)
    return names


def resolve_unit(plan: Plan, name: str) -> Unit:
    """A unit of `plan` by full name, short name or alias."""
    units = {a.unit_id: a.unit for a in _plan_rows(plan)}
    matches = [u for u in units.values() if name.strip() in u.names()]
    if len(matches) != 1:
        raise SheetError(
            [f"方案 {plan.code} 中没有名为 {name!r} 的单位" if not matches else f"单位 {name!r} 不唯一"]
        )
    return matches[0]


def header(plan: Plan, indicators: list[Indicator] | None = None) -> list[str]:
    """The header row of `plan`'s sheet (with a column pair for each of `indicators`, else the plan's)."""
    columns = list(FIXED)
    for name in _indicator_names(_plan_indicators(plan) if indicators is None else indicators):
        columns += [INDICATOR_PREFIX + name, NOTE_PREFIX + name]
    return columns + [SUMMARY, ROLE]


def write_template(
    plan_code: str, period: str, unit: str | int | None = None, today: date | None = None
) -> Workbook:
    """The dispatch sheet of `plan_code` for `period`: one row per active assignment (of `unit` only
    when given, by name or id), prefilled with the latest revision of that period, or, where there is
    none yet, with the indicator values last reported before it.

    A measure on another cadence than `period`'s gets its own period in the 报送期 column: the one
    that holds `period`'s last day, or `today` when that comes first (2024-05 → 2024Q2 for a
    quarterly measure)."""
    plan = _plan(plan_code)
    try:
        the_period = parse_period(period)
    except ValueError:
        raise SheetError([f"报送期 {period!r} 格式应为 YYYY-MM"]) from None
    day = min(the_period.last_day, today or the_period.last_day, plan.end)

    def period_for(measure: Measure) -> ReportPeriod:
        cadence = cadence_of(measure, plan)
        return the_period if cadence == the_period.cadence else period_of(cadence, day)

    unit_row = None
    if isinstance(unit, int):
        unit_row = Unit.get_or_none(Unit.id == unit)
    elif unit:
        unit_row = resolve_unit(plan, unit)
    rows = _plan_rows(plan, unit_row.id if unit_row else None)
    indicators = _plan_indicators(plan)
    if unit_row is not None:  # a unit's sheet has its own indicators only, not every one of the plan
        own = {a.measure_id for a in rows}
        indicators = [i for i in indicators if i.measure_id in own]
    by_measure: dict[int, dict[str, Indicator]] = {}
    for i in indicators:
        by_measure.setdefault(i.measure_id, {})[i.name] = i
    columns = header(plan, indicators)
    index = {name: n + 1 for n, name in enumerate(columns)}

    latest: dict[int, ReportRevision] = {}
    earlier: dict[int, dict[str, Decimal]] = {}
    row_period = {a.id: period_for(a.measure) for a in rows}
    ids = [a.id for a in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for r in (
            ReportRevision.select(ReportRevision, Report)
            .join(Report)
            .where(Report.assignment.in_(chunk))
            .order_by(Report.period, ReportRevision.number)
        ):
            a_id = r.report.assignment_id
            wanted, its = row_period[a_id], parse_period(r.report.period)
            if its == wanted:
                latest[a_id] = r
            elif type(its) is not type(wanted) or its > wanted:
                continue  # a later period, or one of the measure's former cadence
            else:
                values = earlier.setdefault(a_id, {})
                for code, value in (r.indicator_values or {}).items():
                    number = stored_decimal(value)
                    if number is not None:
                        values[code] = number

    book = Workbook()
    sheet = book.active
    sheet.title = "调度表"
    for name, col in index.items():
        cell = set_cell(sheet.cell(1, col), name)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for n, a in enumerate(rows, start=2):
        m, u = a.measure, a.unit
        revision = latest.get(a.id)
        set_cell(sheet.cell(n, index[MEASURE]), m.code)
        set_cell(sheet.cell(n, index[TITLE]), m.title)
        set_cell(sheet.cell(n, index[UNIT]), u.name)
        set_cell(sheet.cell(n, index[PERIOD]), str(row_period[a.id]))
        set_cell(sheet.cell(n, index[ROLE]), ROLE_LABELS.get(a.role, a.role))
        own = by_measure.get(m.id, {})
        values = {}
        notes = {}
        if revision is not None:
            set_cell(sheet.cell(n, index[PERCENT]), revision.percent)
            set_cell(sheet.cell(n, index[COMPLETE]), YES if revision.complete else NO)
            set_cell(sheet.cell(n, index[NARRATIVE]), revision.narrative)
            set_cell(sheet.cell(n, index[PROBLEMS]), revision.problems)
            set_cell(sheet.cell(n, index[NEXT]), revision.next_steps)
            set_cell(sheet.cell(n, index[SUMMARY]), revision.public_summary)
            values = {c: stored_decimal(v) for c, v in (revision.indicator_values or {}).items()}
            notes = revision.indicator_notes or {}
        else:
            values = earlier.get(a.id, {})
        for name in _indicator_names(indicators):
            value_cell = sheet.cell(n, index[INDICATOR_PREFIX + name])
            note_cell = sheet.cell(n, index[NOTE_PREFIX + name])
            indicator = own.get(name)
            if indicator is None:
                value_cell.fill = note_cell.fill = NOT_APPLICABLE
                continue
            if values.get(indicator.code) is not None:
                set_cell(value_cell, values[indicator.code])
            if notes.get(indicator.code):
                set_cell(note_cell, notes[indicator.code])
    last = max(len(rows) + 1, 2)
    complete = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    complete.error, complete.errorTitle = "请选择“是”或“否”", "是否完成"
    complete.add(f"{get_column_letter(index[COMPLETE])}2:{get_column_letter(index[COMPLETE])}{last}")
    percent = DataValidation(type="whole", operator="between", formula1="0", formula2="100", allow_blank=True)
    percent.error, percent.errorTitle = "请填写 0–100 的整数", "完成进度(%)"
    percent.add(f"{get_column_letter(index[PERCENT])}2:{get_column_letter(index[PERCENT])}{last}")
    sheet.add_data_validation(complete)
    sheet.add_data_validation(percent)
    # Counts (座, 户, 个) take whole numbers only, every other indicator a number not below 0; the
    # import checks the same (reports.validate), this only stops a slip while typing.
    whole = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    whole.error, whole.errorTitle = "计数指标请填写不小于 0 的整数", "指标值"
    number = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    number.error, number.errorTitle = "请填写不小于 0 的数值", "指标值"
    cells: dict[str, list[str]] = {"whole": [], "number": []}
    for n, a in enumerate(rows, start=2):
        for name, indicator in by_measure.get(a.measure_id, {}).items():
            col = get_column_letter(index[INDICATOR_PREFIX + name])
            cells["whole" if indicator.kind == "count" else "number"].append(f"{col}{n}")
    for rule, refs in ((whole, cells["whole"]), (number, cells["number"])):
        rule.showErrorMessage = True
        if refs:
            rule.sqref = MultiCellRange(" ".join(refs))
            sheet.add_data_validation(rule)
    complete.showErrorMessage = percent.showErrorMessage = True
    widths = {
        MEASURE: 9,
        TITLE: 28,
        UNIT: 22,
        PERIOD: 9,
        PERCENT: 10,
        COMPLETE: 8,
        NARRATIVE: 40,
        PROBLEMS: 28,
    }
    for name, col in index.items():
        sheet.column_dimensions[get_column_letter(col)].width = widths.get(name, 24 if name == NEXT else 16)
    sheet.freeze_panes = "E2"
    print_setup(sheet, 1, len(columns))

    info = book.create_sheet(INFO_SHEET)
    lines = [
        ("方案编号", plan.code),
        ("方案名称", plan.title),
        ("报送期", str(the_period)),
        ("单位", unit_row.name if unit_row else "全部单位"),
        ("填表说明", "每行是一个单位对一项措施的本期报送。完成进度填 0–100 的整数;留空表示该行本期不报送。"),
        ("", "是否完成填“是”或“否”。指标列填数值(累计值);超过目标值时请在对应“说明”列注明原因。"),
        ("", "灰色单元格表示该措施没有此指标,请勿填写。请勿修改措施编号、单位和报送期,请勿删除本工作表。"),
        (
            "",
            "填好后在系统“单位首页 → 导入调度表”上传,或由督查室用 tracker reports import 导入;有错误时整表不导入。",
        ),
    ]
    for n, (label, text) in enumerate(lines, start=1):
        set_cell(info.cell(n, 1), label).font = Font(bold=True)
        set_cell(info.cell(n, 2), text)
    info.column_dimensions["A"].width = 12
    info.column_dimensions["B"].width = 100
    return book


def template_bytes(
    plan_code: str, period: str, unit: str | int | None = None, today: date | None = None
) -> bytes:
    out = io.BytesIO()
    write_template(plan_code, period, unit, today).save(out)
    return out.getvalue()


# ---------------------------------------------------------------- import


@dataclass
class ImportResult:
    plan: str
    saved: int = 0  # rows recorded as new revisions
    unchanged: int = 0  # rows equal to the latest revision of their period
    skipped: int = 0  # rows with an empty progress cell
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    number: int
    assignment: Assignment
    period: Period
    data: ReportInput
    indicators: tuple[Indicator, ...]


def _where(row: int, col: int, name: str) -> str:
    return f"第{row}行 {get_column_letter(col)}列({name})"


def _shown(value) -> str:
    text = str(value)
    return repr(text if len(text) <= 30 else text[:30] + "…")


def _read(source: str | os.PathLike | bytes) -> bytes:
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        if not path.is_file():
            raise SheetError([f"{path}: 文件不存在"])
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SheetError([f"{path.name}: 文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB"])
        data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise SheetError([f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB"])
    if not data.startswith(b"PK\x03\x04"):
        raise SheetError(["文件不是 Excel(.xlsx)文件;请用“下载调度表”得到的模板填写后上传"])
    try:
        kind = evidence_service.office_kind(data)
    except evidence_service.EvidenceError as exc:
        raise SheetError([f"文件无法导入:{exc}"]) from None
    if kind != "xlsx":
        raise SheetError(["文件不是 Excel(.xlsx)文件"])
    return data


class _Empty:
    value = None
    data_type = "n"


_EMPTY = _Empty()


def _first_sheet(book, plan_code: str | None) -> tuple[str | None, list[tuple]]:
    """The plan code (from the 说明 sheet unless given) and the first sheet's rows, refusing a sheet
    whose declared or actual size passes the limits before reading any further."""
    sheet = book.worksheets[0]
    if plan_code is None and INFO_SHEET in book.sheetnames:
        first = next(book[INFO_SHEET].iter_rows(min_row=1, max_row=1, max_col=2), ())
        if len(first) == 2 and _text(first[0]) == "方案编号":
            plan_code = _text(first[1]) or None
    rows, cols = sheet.max_row, sheet.max_column  # from the sheet's <dimension>, when it has one
    if (rows or 0) > MAX_ROWS + 1:
        raise SheetError([f"表格行数过多({rows} 行,上限 {MAX_ROWS} 行)"])
    if (cols or 0) > MAX_COLUMNS:
        raise SheetError([f"表格列数过多({cols} 列,上限 {MAX_COLUMNS} 列)"])
    sheet.reset_dimensions()  # read every row there is, counting, not only those the <dimension> names
    grid, filled = [], 0
    for row in sheet.iter_rows(max_col=MAX_COLUMNS):
        kept = tuple(c for c in row if c.value is not None)  # an empty cell costs nothing to keep
        filled += len(kept)
        grid.append(kept)
        if len(grid) > MAX_ROWS + 1 or filled > MAX_CELLS:  # the <dimension> may lie or be missing
            raise SheetError([f"表格过大(上限 {MAX_ROWS} 行、{MAX_CELLS} 个非空单元格)"])
    return plan_code, grid


def _infer_plan(grid: list[tuple]) -> str:
    """The plan of a sheet that lost its 说明 sheet: the only plan loaded, else the only plan in which
    every row's (措施编号, 单位) is an assignment. Asks for --plan only when that is ambiguous."""
    plans = list(Plan.select().order_by(Plan.code))
    if len(plans) == 1:
        return plans[0].code
    header = {_text(c): c.column for c in grid[0] if hasattr(c, "column")} if grid else {}
    pairs = set()
    if MEASURE in header and UNIT in header:
        for cells in grid[1:]:
            by_col = {c.column: c for c in cells if hasattr(c, "column")}
            code = _text(by_col.get(header[MEASURE], _EMPTY))
            unit = _text(by_col.get(header[UNIT], _EMPTY))
            if code or unit:
                pairs.add((code, unit))
    if not pairs:
        raise SheetError(
            ["无法确定方案:表中没有“措施编号”和“单位”,请保留模板中的“说明”工作表,或用 --plan 指定"]
        )
    fitting = []
    for plan in plans:
        known = {(a.measure.code, name) for a in _plan_rows(plan) for name in a.unit.names()}
        if pairs <= known:
            fitting.append(plan.code)
    if len(fitting) == 1:
        return fitting[0]
    if fitting:
        raise SheetError([f"无法确定方案:表中的措施和单位同时符合 {'、'.join(fitting)},请用 --plan 指定"])
    raise SheetError(["无法确定方案:表中的措施和单位不全属于任何一个已加载的方案,请用 --plan 指定"])


def _text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def import_sheet(
    source: str | os.PathLike | bytes, scope: Scope, *, plan_code: str | None = None
) -> ImportResult:
    """Check every row of a filled sheet, then record them all as revisions in one transaction.

    A reporter or unit leader may import rows of their own unit only; the office (inspector, admin)
    any unit's; a leader none. Raises SheetError naming every wrong cell; nothing is written then.
    """
    if not (scope.is_office or scope.is_unit):
        raise SheetError(["您的账号只能查看,不能导入报送"])
    data = _read(source)
    try:
        # Read-only: cells are streamed row by row, so the dimension check comes before any is built.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise SheetError([f"文件无法作为 Excel 打开:{exc}"]) from None
    try:
        plan_code, grid = _first_sheet(book, plan_code)
    finally:
        book.close()
    plan_code = plan_code or _infer_plan(grid)
    plan = _plan(plan_code)
    if not grid:
        raise SheetError(["第1行:表格是空的"])
    header, body = grid[0], grid[1:]

    columns: dict[str, int] = {}
    problems: list[str] = []
    for cell in header:
        if not hasattr(cell, "column"):
            continue
        name = _text(cell).replace("(", "(").replace(")", ")").replace(":", ":")
        if not name:
            continue
        if name in columns:
            problems.append(f"第1行 {get_column_letter(cell.column)}列:表头“{name}”重复")
        columns[name] = cell.column
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        problems.append("第1行:缺少表头 " + "、".join(f"“{m}”" for m in missing) + "(表头须在第1行)")
    indicators = _plan_indicators(plan)
    known = set(_indicator_names(indicators))
    for name, col in columns.items():
        for prefix in (INDICATOR_PREFIX, NOTE_PREFIX):
            if name.startswith(prefix) and name[len(prefix) :] not in known:
                problems.append(f"第1行 {get_column_letter(col)}列:本方案没有指标“{name[len(prefix) :]}”")
    if problems:
        raise SheetError(problems)

    measures = {
        m.code: m for m in Measure.select().where(Measure.plan == plan.id, Measure.archived_at.is_null())
    }
    assignments: dict[int, list[Assignment]] = {}
    for a in _plan_rows(plan):
        assignments.setdefault(a.measure_id, []).append(a)
    by_measure: dict[int, dict[str, Indicator]] = {}
    for i in indicators:
        by_measure.setdefault(i.measure_id, {})[i.name] = i
    today = local_date(now())
    result = ImportResult(plan.code)
    rows: list[_Row] = []
    seen: dict[tuple[int, str], int] = {}

    for n, cells in enumerate(body, start=2):
        if len(problems) >= MAX_PROBLEMS:
            problems.append(f"错误过多,仅列出前 {MAX_PROBLEMS} 条")
            break
        cells = [c for c in cells if hasattr(c, "column")]
        if not cells:
            continue
        by_col = {c.column: c for c in cells}

        def cell(name, by_col=by_col):
            col = columns.get(name)
            return None if col is None else by_col.get(col, _EMPTY)

        if all(c.value is None or str(c.value).strip() == "" for c in cells):
            continue
        row_problems = []
        for c in cells:
            if c.data_type == "f":
                header_name = next((k for k, v in columns.items() if v == c.column), "")
                row_problems.append(f"{_where(n, c.column, header_name)}:不能使用公式,请直接填写内容")
        if row_problems:
            problems.extend(row_problems)
            continue
        percent_text = _text(cell(PERCENT))
        if percent_text == "":
            result.skipped += 1
            continue
        code = _text(cell(MEASURE))
        measure = measures.get(code)
        if measure is None:
            problems.append(f"{_where(n, columns[MEASURE], MEASURE)}:{_shown(code)} 不是本方案的措施编号")
            continue
        unit_name = _text(cell(UNIT))
        match = [a for a in assignments.get(measure.id, []) if unit_name and unit_name in a.unit.names()]
        if len(match) != 1:
            problems.append(
                f"{_where(n, columns[UNIT], UNIT)}:{_shown(unit_name)} 不是措施 {code} 的分工单位"
            )
            continue
        assignment = match[0]
        if not scope.is_office and assignment.unit_id != scope.unit_id:
            problems.append(
                f"{_where(n, columns[UNIT], UNIT)}:{_shown(assignment.unit.name)} 不是您所在的单位,"
                "不能导入其他单位的报送"
            )
            continue
        period_value = cell(PERIOD).value
        period_text = (
            f"{period_value:%Y-%m}" if isinstance(period_value, datetime | date) else _text(cell(PERIOD))
        )
        try:
            period = check_period(period_text, plan, assignment, today)
        except InvalidReport as exc:
            problems.append(f"{_where(n, columns[PERIOD], PERIOD)}:{exc.problems[0].message}")
            continue
        key = (assignment.id, str(period))
        if key in seen:
            problems.append(
                f"{_where(n, columns[UNIT], UNIT)}:与第{seen[key]}行重复({code} {assignment.unit.label} {period})"
            )
            continue
        seen[key] = n
        percent = _whole_percent(percent_text)
        if percent is None:
            problems.append(
                f"{_where(n, columns[PERCENT], PERCENT)}:{_shown(percent_text)} 不是 0–100 的整数"
            )
            continue
        complete_text = _text(cell(COMPLETE))
        if complete_text not in ("", YES, NO):
            problems.append(
                f"{_where(n, columns[COMPLETE], COMPLETE)}:{_shown(complete_text)} 应填“是”或“否”"
            )
            continue
        own = by_measure.get(measure.id, {})
        values, notes = {}, {}
        bad = False
        for name in known:
            value_cell = cell(INDICATOR_PREFIX + name)
            note_cell = cell(NOTE_PREFIX + name)
            raw = value_cell.value if value_cell is not None else None
            note = _text(note_cell) if note_cell is not None else ""
            if (raw is None or str(raw).strip() == "") and not note:
                continue
            indicator = own.get(name)
            col = columns.get(INDICATOR_PREFIX + name) or columns.get(NOTE_PREFIX + name)
            if indicator is None:
                problems.append(f"{_where(n, col, INDICATOR_PREFIX + name)}:措施 {code} 没有此指标,请留空")
                bad = True
                continue
            try:
                value = parse_decimal(raw)
            except ValueError as exc:
                problems.append(f"{_where(n, col, INDICATOR_PREFIX + name)}:{_shown(raw)} {exc}")
                bad = True
                continue
            if value is not None:
                values[indicator.code] = value
            if note:
                notes[indicator.code] = note
        if bad:
            continue
        summary_cell = cell(SUMMARY)
        data_in = ReportInput(
            percent=percent,
            complete=complete_text == YES,
            narrative=_text(cell(NARRATIVE)),
            problems=_text(cell(PROBLEMS)),
            next_steps=_text(cell(NEXT)),
            public_summary=_text(summary_cell) if summary_cell is not None else "",
            indicator_values=values,
            indicator_notes=notes,
        )
        checks = validate(data_in, list(own.values()))
        code_names = {i.code: i.name for i in own.values()}
        for p in checks:
            kind, _, ind_code = p.field.partition(":")
            if kind == "indicator":
                name = INDICATOR_PREFIX + code_names.get(ind_code, ind_code)
            elif kind == "note":
                name = NOTE_PREFIX + code_names.get(ind_code, ind_code)
                if name not in columns:
                    name = INDICATOR_PREFIX + code_names.get(ind_code, ind_code)
            else:
                name = {
                    "percent": PERCENT,
                    "complete": COMPLETE,
                    "narrative": NARRATIVE,
                    "problems": PROBLEMS,
                    "next_steps": NEXT,
                    "public_summary": SUMMARY,
                }.get(p.field, FIELD_LABELS.get(p.field, p.field))
            col = columns.get(name, columns[PERCENT])
            problems.append(f"{_where(n, col, name)}:{p.message}")
        if checks:
            continue
        rows.append(_Row(n, assignment, period, data_in, tuple(own.values())))

    if problems:
        raise SheetError(problems)
    if not rows and not result.skipped:
        raise SheetError(["表中没有可导入的行"])

    at = now()
    rules = reporting_rules(plan)
    with write_transaction():
        changes: list[audit.Change] = []
        for row in rows:
            latest = (
                ReportRevision.select()
                .join(Report)
                .where(Report.assignment == row.assignment.id, Report.period == str(row.period))
                .order_by(ReportRevision.number.desc())
                .first()
            )
            if latest is not None and _same(latest, row.data):
                result.unchanged += 1
                continue
            warnings: tuple[IndicatorWarning, ...] = indicator_warnings(
                row.indicators, row.data, previous_values(row.assignment.id, row.period), rules
            )
            result.warnings += [f"第{row.number}行:{w.message}" for w in warnings]
            _, row_changes = record_revision(
                scope, row.assignment, row.period, row.data, at=at, source="import", indicators=row.indicators
            )
            changes += row_changes
            result.saved += 1
        changes.append(
            audit.Change(
                "sheet.import",
                "plan",
                plan.id,
                None,
                {
                    "plan": plan.code,
                    "saved": result.saved,
                    "unchanged": result.unchanged,
                    "skipped": result.skipped,
                },
            )
        )
        audit.record_many(scope.username, changes)
    return result


def _whole_percent(text: str) -> int | None:
    """0..100 from "40", "40.0" or "40%"; None for anything else."""
    match = _PERCENT.fullmatch(text.strip())
    if not match or int(match[1]) > 100:
        return None
    return int(match[1])


def _same(revision: ReportRevision, data: ReportInput) -> bool:
    """Whether `data` says exactly what `revision` says (then importing it again adds nothing)."""
    values = {code: stored_decimal(v) for code, v in (revision.indicator_values or {}).items()}
    return (
        revision.percent == data.percent
        and revision.complete == data.complete
        and revision.narrative == data.narrative
        and revision.problems == data.problems
        and revision.next_steps == data.next_steps
        and revision.public_summary == data.public_summary
        and values == dict(data.indicator_values)
        and (revision.indicator_notes or {}) == {c: n for c, n in data.indicator_notes.items() if n}
    )
