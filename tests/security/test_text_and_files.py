"""Findings 2 and 3: control characters and formula injection in what we write to files.

Reproductions: a narrative holding `\\x0b` (Word's manual line break) made the leaders' reports.xlsx
and the unit's 调度表 answer 500 for everyone; on PostgreSQL a NUL made the save itself 500; a unit's
public summary `=HYPERLINK(…)` reached the published CSV as typed.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.site.conftest import BOARDS, build_sample
from tests.web.test_unit_report import assignment_of, post_report
from tracker.services.cells import FORMULA_STARTS, csv_text, file_text
from tracker.services.publishing import publish
from tracker.services.reports import ReportInput, save_revision
from tracker.services.text import clean_text
from tracker.store.db import write_transaction
from tracker.store.models import Measure, ReportRevision, Unit

INJECTIONS = ['=HYPERLINK("http://evil.example/","点此")', "+1+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("第一行\x0b第二行", "第一行\n第二行"),  # Word's manual line break
        ("甲\r\n乙\r丙", "甲\n乙\n丙"),
        ("a\x00b", "ab"),
        ("a\x07\x1b[31mb", "a[31mb"),
        ("a\x85b\u2028c", "a\nb\nc"),
        ("a\x9bb\x7fc", "abc"),  # C1 and DEL
        ("列\t对齐", "列\t对齐"),
        ("\ud800孤", "孤"),
    ],
)
def test_control_characters_are_removed_or_mapped_once_at_the_boundary(typed, kept):
    assert clean_text(typed) == kept
    assert file_text(typed) == kept


@pytest.fixture
def may(monkeypatch, database_url):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")


def test_a_word_line_break_in_a_narrative_keeps_every_export_working(app, people, signed_in, may):
    clerk = signed_in("clerk")
    mine = assignment_of("安康市乡村振兴局")
    response = post_report(clerk, mine, narrative="召开推进会\x0b第二次会议", problems="无\x00")
    assert response.status_code == 302
    revision = ReportRevision.get()
    assert revision.narrative == "召开推进会\n第二次会议" and revision.problems == "无"
    sheet = clerk.get("/unit/sheet?plan=ankang-2023&period=2024-05")
    assert sheet.status_code == 200
    leader = app.test_client()
    from tests.web.conftest import sign_in

    sign_in(leader, "leader")
    export = leader.get("/leader/exports/reports.xlsx?plan=ankang-2023")
    assert export.status_code == 200
    texts = [c.value for row in load_workbook(io.BytesIO(export.data)).active.iter_rows() for c in row]
    assert "召开推进会\n第二次会议" in texts


def test_text_stored_before_the_fix_still_exports(app, people, signed_in, may):
    """A revision written by the first release (or by hand) with a control character in it."""
    clerk = signed_in("clerk")
    mine = assignment_of("安康市乡村振兴局")
    assert post_report(clerk, mine).status_code == 302
    ReportRevision.update(narrative="旧数据\x0b换行\x01").execute()
    assert clerk.get("/unit/sheet?plan=ankang-2023&period=2024-05").status_code == 200
    from tests.web.conftest import sign_in

    leader = app.test_client()
    sign_in(leader, "leader")
    assert leader.get("/leader/exports/reports.xlsx?plan=ankang-2023").status_code == 200


def test_a_nul_in_a_report_is_saved_without_it_on_every_database(people, scopes, may, tmp_path):
    mine = assignment_of("安康市乡村振兴局")
    data = ReportInput(percent=40, narrative="进展\x00顺利", problems="\x00")
    saved = save_revision(scopes["clerk"], mine.id, "2024-05", data, [], 0, upload_dir=tmp_path)
    assert ReportRevision.get_by_id(saved.revision.id).narrative == "进展顺利"


def test_every_injection_prefix_is_escaped_in_every_published_csv(database, tmp_path):
    build_sample()
    with write_transaction():
        for n, revision in enumerate(ReportRevision.select()):
            revision.public_summary = INJECTIONS[n % len(INJECTIONS)]
            revision.save()
        for n, measure in enumerate(Measure.select()):
            measure.title = INJECTIONS[n % len(INJECTIONS)].replace("\r", "") + " 标题"
            measure.public = True
            measure.save()
        for n, unit in enumerate(Unit.select()):
            unit.name = f"{INJECTIONS[n % len(INJECTIONS)]}{unit.id}"
            unit.short = f"@{unit.short}"
            unit.save()
    publish("sample-2024", BOARDS, tmp_path)
    files = sorted(tmp_path.rglob("*.csv"))
    assert files
    seen = 0
    for path in files:
        for row in csv.reader(io.StringIO(path.read_text("utf-8"))):
            for value in row:
                seen += value.startswith("'")
                if value.startswith(FORMULA_STARTS):
                    assert csv_text(value) == value, f"{path.name}: {value!r} would run as a formula"
    assert seen >= 10  # the payloads did reach the files, escaped


def test_numbers_in_csv_stay_numbers():
    assert csv_text(-2) == -2 and csv_text("-2.00") == "-2.00" and csv_text("-2+3") == "'-2+3"
