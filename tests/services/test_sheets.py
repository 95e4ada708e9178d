"""The dispatch sheet (调度表): template → filled → imported as revisions, all or nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.services.conftest import assignment_of
from tracker.services.reports import ReportInput, save_revision
from tracker.services.sheets import FIXED, SheetError, import_sheet, template_bytes, write_template
from tracker.store.models import (
    Assignment,
    AuditEvent,
    Indicator,
    Measure,
    Plan,
    Report,
    ReportRevision,
    Unit,
)

ANKANG_ROWS = 614


def header_of(sheet) -> dict[str, int]:
    return {c.value: c.column for c in sheet[1] if c.value}


def fill_every_row(book, period="2024-05"):
    """Fill each row as a clerk would: a percent, texts and each of the row's indicators."""
    sheet = book.worksheets[0]
    cols = header_of(sheet)
    for n in range(2, sheet.max_row + 1):
        sheet.cell(n, cols["完成进度(%)"]).value = n % 101
        sheet.cell(n, cols["是否完成"]).value = "是" if n % 101 == 100 else "否"
        sheet.cell(n, cols["工作进展"]).value = f"第{n}行的进展"
        sheet.cell(n, cols["存在问题"]).value = "无"
        sheet.cell(n, cols["下步计划"]).value = "继续推进"
        for name, col in cols.items():
            if name.startswith("指标:") and sheet.cell(n, col).fill.fgColor.rgb != "00E5E7EB":
                sheet.cell(n, col).value = 3
    return book


def saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_header_is_the_contract_in_row_one(people):
    sheet = write_template("ankang-2023", "2024-05").worksheets[0]
    names = [c.value for c in sheet[1]]
    assert tuple(names[:9]) == FIXED
    indicators = Indicator.select().join(Measure).join(Plan).where(Plan.code == "ankang-2023").count()
    assert sum(1 for n in names if n.startswith("指标:")) == indicators
    assert sheet.max_row == ANKANG_ROWS + 1


def test_a_units_template_has_only_its_rows(people):
    sheet = write_template("ankang-2023", "2024-05", "市乡村振兴局").worksheets[0]
    unit = Unit.get(Unit.name == "安康市乡村振兴局")
    assert sheet.max_row - 1 == Assignment.select().where(Assignment.unit == unit).count()
    assert {sheet.cell(n, 3).value for n in range(2, sheet.max_row + 1)} == {"安康市乡村振兴局"}


def test_the_round_trip_of_a_whole_month_for_ankang_records_every_row(people, scopes, at):
    at("2024-05-20T10:00")
    book = fill_every_row(load_workbook(io.BytesIO(template_bytes("ankang-2023", "2024-05"))))
    at("2024-05-24T16:30")
    result = import_sheet(saved(book), scopes["admin"])
    assert (result.saved, result.unchanged, result.skipped) == (ANKANG_ROWS, 0, 0)
    revisions = list(ReportRevision.select(ReportRevision, Report).join(Report))
    assert len(revisions) == ANKANG_ROWS
    assert {(r.author.username, r.source, r.number, r.report.period) for r in revisions} == {
        ("admin", "import", 1, "2024-05")
    }
    assert {r.recorded_at.isoformat() for r in revisions} == {"2024-05-24T16:30:00+08:00"}
    sheet = book.worksheets[0]
    cols = header_of(sheet)
    for n in (2, 50, ANKANG_ROWS + 1):
        code, unit = sheet.cell(n, 1).value, sheet.cell(n, 3).value
        a = assignment_of(unit, code)
        r = ReportRevision.select().join(Report).where(Report.assignment == a.id).get()
        assert (r.percent, r.narrative, r.complete) == (n % 101, f"第{n}行的进展", n % 101 == 100)
        own = list(Indicator.select().where(Indicator.measure == a.measure_id))
        assert r.indicator_values == {i.code: "3" for i in own}
        assert {c for name, c in cols.items() if name.startswith("指标:")}
    assert AuditEvent.select().where(AuditEvent.action == "report.revise").count() == ANKANG_ROWS
    assert AuditEvent.select().where(AuditEvent.action == "sheet.import").count() == 1


def test_importing_the_prefilled_template_again_adds_nothing(people, scopes, at):
    at("2024-05-20T10:00")
    import_sheet(
        saved(fill_every_row(write_template("ankang-2023", "2024-05", "安康市乡村振兴局"))), scopes["clerk"]
    )
    before = ReportRevision.select().count()
    result = import_sheet(template_bytes("ankang-2023", "2024-05", "安康市乡村振兴局"), scopes["clerk"])
    assert result.saved == 0 and result.unchanged == before
    assert ReportRevision.select().count() == before


def test_a_sheet_with_one_bad_row_changes_nothing_and_names_the_row_and_column(people, scopes, at):
    at("2024-05-20T10:00")
    book = fill_every_row(write_template("ankang-2023", "2024-05"))
    book.worksheets[0].cell(5, 5).value = "abc"
    with pytest.raises(SheetError) as bad:
        import_sheet(saved(book), scopes["admin"])
    assert bad.value.problems == ["第5行 E列(完成进度(%)):'abc' 不是 0–100 的整数"]
    assert ReportRevision.select().count() == 0 and Report.select().count() == 0
    assert not AuditEvent.select().where(AuditEvent.action.in_(("report.revise", "sheet.import"))).exists()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("完成进度(%)", 101, "101' 不是 0–100 的整数"),
        ("完成进度(%)", "4.5", "'4.5' 不是 0–100 的整数"),
        ("是否完成", "也许", "应填“是”或“否”"),
        ("措施编号", "9.9.9", "不是本方案的措施编号"),
        ("单位", "不存在的局", "不是措施"),
        ("报送期", "2024-07", "尚未到来"),
        ("完成进度(%)", "=50+10", "不能使用公式"),
    ],
)
def test_each_kind_of_bad_cell_is_named(people, scopes, at, column, value, message):
    at("2024-05-20T10:00")
    book = fill_every_row(write_template("ankang-2023", "2024-05", "安康市乡村振兴局"))
    sheet = book.worksheets[0]
    col = header_of(sheet)[column]
    sheet.cell(3, col).value = value
    with pytest.raises(SheetError) as bad:
        import_sheet(saved(book), scopes["clerk"])
    assert len(bad.value.problems) == 1
    assert bad.value.problems[0].startswith(f"第3行 {sheet.cell(3, col).column_letter}列")
    assert message in bad.value.problems[0]
    assert ReportRevision.select().count() == 0


def test_a_value_past_the_target_without_a_note_names_the_note_column(people, scopes, at):
    at("2024-05-20T10:00")
    book = fill_every_row(write_template("ankang-2023", "2024-05", "安康市乡村振兴局"))
    sheet = book.worksheets[0]
    cols = header_of(sheet)
    row = next(n for n in range(2, sheet.max_row + 1) if sheet.cell(n, 1).value == "2.2.2")
    sheet.cell(row, cols["指标:有劳动能力的易返贫致贫人口全部动态清零的重点帮扶村"]).value = 300
    with pytest.raises(SheetError) as bad:
        import_sheet(saved(book), scopes["clerk"])
    assert "说明:有劳动能力的易返贫致贫人口全部动态清零的重点帮扶村" in bad.value.problems[0]
    assert bad.value.problems[0].startswith(f"第{row}行")
    sheet.cell(row, cols["说明:有劳动能力的易返贫致贫人口全部动态清零的重点帮扶村"]).value = "新增监测对象"
    assert import_sheet(saved(book), scopes["clerk"]).saved == sheet.max_row - 1


def test_a_reporter_cannot_import_rows_of_another_unit(people, scopes, at):
    at("2024-05-20T10:00")
    book = fill_every_row(write_template("ankang-2023", "2024-05"))
    with pytest.raises(SheetError) as bad:
        import_sheet(saved(book), scopes["clerk"])
    assert all("不是您所在的单位" in p for p in bad.value.problems[:-1])
    assert "安康市" in bad.value.problems[0]
    assert ReportRevision.select().count() == 0


def test_a_reporter_may_import_the_whole_plan_sheet_when_only_their_rows_are_filled(people, scopes, at):
    at("2024-05-20T10:00")
    book = write_template("ankang-2023", "2024-05")
    sheet = book.worksheets[0]
    mine = [n for n in range(2, sheet.max_row + 1) if sheet.cell(n, 3).value == "安康市乡村振兴局"]
    for n in mine:
        sheet.cell(n, 5).value = 20
    result = import_sheet(saved(book), scopes["clerk"])
    assert result.saved == len(mine) and result.skipped == ANKANG_ROWS - len(mine)


def test_a_leader_imports_nothing(people, scopes, at):
    at("2024-05-20T10:00")
    with pytest.raises(SheetError, match="只能查看"):
        import_sheet(template_bytes("ankang-2023", "2024-05"), scopes["leader"])


def test_formula_looking_text_comes_back_out_of_the_template_as_text(people, scopes, at):
    at("2024-05-20T10:00")
    mine = assignment_of("安康市乡村振兴局", "2.2.2")
    texts = ['=HYPERLINK("http://evil.example/","点此")', "+1", "-1", "@SUM(A1:A9)"]
    save_revision(
        scopes["clerk"],
        mine.id,
        "2024-05",
        ReportInput(
            percent=10, narrative=texts[0], problems=texts[1], next_steps=texts[2], public_summary=texts[3]
        ),
        expected_revision_number=0,
    )
    book = load_workbook(io.BytesIO(template_bytes("ankang-2023", "2024-05", "安康市乡村振兴局")))
    sheet = book.worksheets[0]
    cols = header_of(sheet)
    row = next(n for n in range(2, sheet.max_row + 1) if sheet.cell(n, 1).value == "2.2.2")
    cells = [sheet.cell(row, cols[c]) for c in ("工作进展", "存在问题", "下步计划", "公开摘要")]
    assert [c.value for c in cells] == texts
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    # and it goes back in unchanged: the same text, no revision added
    assert import_sheet(saved(book), scopes["clerk"]).saved == 0


def test_the_template_prefills_the_latest_revision_of_the_period(people, scopes, at):
    at("2024-05-20T10:00")
    mine = assignment_of("安康市乡村振兴局", "2.2.2")
    save_revision(
        scopes["clerk"],
        mine.id,
        "2024-04",
        ReportInput(percent=30, indicator_values={"villages-risk-cleared": Decimal("120")}),
        expected_revision_number=0,
    )
    save_revision(
        scopes["clerk"],
        mine.id,
        "2024-05",
        ReportInput(percent=40, narrative="五月"),
        expected_revision_number=0,
    )
    sheet = write_template("ankang-2023", "2024-05", "安康市乡村振兴局").worksheets[0]
    cols = header_of(sheet)
    row = next(n for n in range(2, sheet.max_row + 1) if sheet.cell(n, 1).value == "2.2.2")
    assert sheet.cell(row, cols["完成进度(%)"]).value == 40
    assert sheet.cell(row, cols["工作进展"]).value == "五月"
    june = write_template("ankang-2023", "2024-06", "安康市乡村振兴局").worksheets[0]
    assert june.cell(row, cols["完成进度(%)"]).value is None  # a new month starts empty
    assert june.cell(row, cols["指标:有劳动能力的易返贫致贫人口全部动态清零的重点帮扶村"]).value == 120


def test_a_file_that_is_not_an_excel_sheet_is_refused(people, scopes):
    with pytest.raises(SheetError, match="不是 Excel"):
        import_sheet(b"<html>not a sheet</html>", scopes["admin"])
    with pytest.raises(SheetError):
        import_sheet(b"PK\x03\x04broken", scopes["admin"])


def test_a_sheet_without_its_info_sheet_goes_to_the_one_plan_its_rows_fit(people, scopes, at):
    at("2024-05-20T10:00")
    book = fill_every_row(write_template("ankang-2023", "2024-05", "安康市乡村振兴局"))
    del book["说明"]
    result = import_sheet(saved(book), scopes["clerk"])
    assert result.plan == "ankang-2023" and result.saved > 0
    book.worksheets[0].cell(2, 1).value = "99.9"  # a measure no loaded plan has: the plan is asked for
    with pytest.raises(SheetError, match="无法确定方案.*--plan"):
        import_sheet(saved(book), scopes["clerk"])


def test_the_template_prints_landscape_one_page_wide_with_its_header_on_each_page(people):
    sheet = load_workbook(
        io.BytesIO(template_bytes("ankang-2023", "2024-05", "安康市乡村振兴局"))
    ).worksheets[0]
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    assert sheet.print_title_rows == "$1:$1"


def test_count_indicators_take_whole_numbers_in_the_sheet_and_on_import(people, scopes, at):
    at("2024-05-20T10:00")
    book = load_workbook(io.BytesIO(template_bytes("ankang-2023", "2024-05", "安康市乡村振兴局")))
    sheet = book.worksheets[0]
    cols = header_of(sheet)
    unit = Unit.get(Unit.name == "安康市乡村振兴局")
    counts = {
        i.name
        for i in Indicator.select()
        .join(Measure)
        .join(Assignment, on=(Assignment.measure == Measure.id))
        .where(Assignment.unit == unit, Indicator.kind == "count")
    }
    assert counts, "the unit has count indicators (座, 户, 个)"
    name = sorted(counts)[0]
    col = cols["指标:" + name]
    row = next(n for n in range(2, sheet.max_row + 1) if sheet.cell(n, col).fill.fgColor.rgb != "00E5E7EB")
    where = sheet.cell(row, col).coordinate
    # Excel refuses a fraction as it is typed: the cell carries a whole-number rule with a message.
    rules = [dv for dv in sheet.data_validations.dataValidation if where in dv.sqref]
    assert [(dv.type, dv.operator, dv.formula1, dv.showErrorMessage) for dv in rules] == [
        ("whole", "greaterThanOrEqual", "0", True)
    ]
    assert "整数" in rules[0].error
    # …and a sheet filled elsewhere (WPS, LibreOffice with rules off) is refused on import, naming it.
    fill_every_row(book)
    sheet.cell(row, col).value = 12.5
    with pytest.raises(SheetError) as bad:
        import_sheet(saved(book), scopes["clerk"])
    assert bad.value.problems == [
        f"第{row}行 {sheet.cell(row, col).column_letter}列(指标:{name}):「{name}」为计数指标，应填整数（12.5{Indicator.get(Indicator.name == name).unit or ''}）"
    ]
    assert ReportRevision.select().count() == 0
