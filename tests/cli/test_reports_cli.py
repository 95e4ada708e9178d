"""`tracker reports template` and `tracker reports import`, as CLI.md fixes them."""

from __future__ import annotations

from openpyxl import load_workbook

from tracker.cli import cli
from tracker.services.users import add_user
from tracker.store.models import Report, ReportRevision


def fill(path, percent=50):
    book = load_workbook(path)
    sheet = book.worksheets[0]
    for n in range(2, sheet.max_row + 1):
        sheet.cell(n, 5).value = percent
        sheet.cell(n, 7).value = "本月按计划推进"
    book.save(path)


def test_a_unit_sheet_goes_out_and_comes_back_as_revisions_by_the_named_user(
    runner, loaded, tmp_path, monkeypatch
):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")
    add_user("clerk", "reporter", "安康市乡村振兴局", "correct horse battery", must_change=False)
    out = tmp_path / "调度表.xlsx"
    made = runner.invoke(
        cli,
        [
            "reports",
            "template",
            "--plan",
            "ankang-2023",
            "--period",
            "2024-05",
            "--unit",
            "市乡村振兴局",
            "-o",
            str(out),
        ],
    )
    assert made.exit_code == 0, made.output
    whole = tmp_path / "全部.xlsx"
    args = ["reports", "template", "--plan", "ankang-2023", "--period", "2024-05", "-o", str(whole)]
    assert runner.invoke(cli, args).exit_code == 0
    ours = [c.value for c in load_workbook(out).worksheets[0][1] if c.value]
    every = [c.value for c in load_workbook(whole).worksheets[0][1] if c.value]
    assert len(ours) < len(every)  # the unit's sheet has its own indicators' columns only
    fill(out)
    imported = runner.invoke(cli, ["reports", "import", str(out), "--as", "clerk"])
    assert imported.exit_code == 0, imported.output
    assert "新增修订 24 条" in imported.output
    assert {(r.author.username, r.source, r.percent) for r in ReportRevision.select()} == {
        ("clerk", "import", 50)
    }


def test_a_bad_row_exits_1_naming_row_and_column_and_changes_nothing(runner, loaded, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")
    add_user("admin", "admin", None, "correct horse battery", must_change=False)
    out = tmp_path / "sheet.xlsx"
    assert (
        runner.invoke(
            cli, ["reports", "template", "--plan", "ankang-2023", "--period", "2024-05", "-o", str(out)]
        ).exit_code
        == 0
    )
    fill(out)
    book = load_workbook(out)
    book.worksheets[0].cell(5, 5).value = "abc"
    book.save(out)
    result = runner.invoke(cli, ["reports", "import", str(out)])
    assert result.exit_code == 1
    assert "第5行 E列(完成进度(%)):'abc' 不是 0–100 的整数" in result.output
    assert Report.select().count() == 0


def test_import_needs_as_when_several_people_could_import(runner, loaded, tmp_path):
    add_user("admin", "admin", None, "correct horse battery", must_change=False)
    add_user("inspector", "inspector", None, "correct horse battery", must_change=False)
    out = tmp_path / "sheet.xlsx"
    assert (
        runner.invoke(
            cli, ["reports", "template", "--plan", "ankang-2023", "--period", "2024-05", "-o", str(out)]
        ).exit_code
        == 0
    )
    result = runner.invoke(cli, ["reports", "import", str(out)])
    assert result.exit_code == 2
    assert "--as" in result.output and "admin" in result.output


def test_an_unknown_plan_exits_1(runner, loaded, tmp_path):
    result = runner.invoke(
        cli, ["reports", "template", "--plan", "nope", "--period", "2024-05", "-o", str(tmp_path / "x.xlsx")]
    )
    assert result.exit_code == 1
    assert "nope" in result.output


def test_the_reports_commands_have_help(runner):
    for args in (["reports", "--help"], ["reports", "template", "--help"], ["reports", "import", "--help"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output


def test_a_sheet_without_its_info_sheet_is_imported_into_the_one_plan_its_rows_belong_to(
    runner, loaded, tmp_path, monkeypatch
):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")
    add_user("clerk", "reporter", "安康市乡村振兴局", "correct horse battery", must_change=False)
    out = tmp_path / "调度表.xlsx"
    args = ["reports", "template", "--plan", "ankang-2023", "--period", "2024-05", "--unit", "市乡村振兴局"]
    assert runner.invoke(cli, [*args, "-o", str(out)]).exit_code == 0
    fill(out)
    book = load_workbook(out)
    del book["说明"]  # as a clerk who copied the first sheet into a new workbook leaves it
    book.save(out)
    imported = runner.invoke(cli, ["reports", "import", str(out), "--as", "clerk"])
    assert imported.exit_code == 0, imported.output
    assert "新增修订 24 条" in imported.output

    # Rows that fit no loaded plan: one line asking for --plan, nothing written.
    book = load_workbook(out)
    book.worksheets[0].cell(2, 1).value = "99.9"
    book.save(out)
    refused = runner.invoke(cli, ["reports", "import", str(out), "--as", "clerk"])
    assert refused.exit_code == 1 and "--plan" in refused.output and "Traceback" not in refused.output
    assert ReportRevision.select().count() == 24
