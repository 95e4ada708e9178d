"""The rectification list as Word (official layout, and it opens in LibreOffice) and Excel, and the
ledger exports: every text cell stays text, whatever a person typed."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from tracker.clock import TZ
from tracker.services import documents, reports, supervision
from tracker.services.scoping import OutOfScope, Scope
from tracker.services.users import add_user
from tracker.store.models import Assignment, Measure, Plan, Unit

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots" / "documents"
AT = datetime(2024, 7, 2, 10, 0, tzinfo=TZ)
FORMULA = '=HYPERLINK("http://example.invalid","点此")'


@pytest.fixture
def office(loaded):
    make = {
        "inspector": ("inspector", None),
        "clerk": ("reporter", "安康市乡村振兴局"),
        "other": ("reporter", "安康市汉滨区"),
        "leader": ("leader", None),
    }
    return {
        name: Scope.of(add_user(name, role, unit, "correct horse battery", must_change=False)[0])
        for name, (role, unit) in make.items()
    }


@pytest.fixture
def sent(office):
    """A rectification list of three findings to 市乡村振兴局, one of them titled like a formula."""
    unit = Unit.get(Unit.name == "安康市乡村振兴局")
    assignments = list(
        Assignment.select()
        .join(Measure)
        .join(Plan)
        .where(Plan.code == "ankang-2023", Assignment.unit == unit.id)
        .order_by(Assignment.id)
        .limit(3)
    )
    titles = ("问题台账更新不及时", "帮扶资金拨付滞后", FORMULA)
    ids = [
        supervision.open_finding(
            office["inspector"],
            unit_id=unit.id,
            measure_id=a.measure_id,
            title=title,
            detail="抽查 3 个村,台账未按月更新。",
            rectify_by=date(2024, 8, 31),
            at=AT,
        ).id
        for a, title in zip(assignments, titles, strict=True)
    ]
    return supervision.create_rectification_list(
        office["inspector"], unit_id=unit.id, finding_ids=ids, doc_number="安督整〔2024〕7号", at=AT
    )


def test_the_rectification_list_docx_has_the_official_layout(office, sent):
    doc = Document(io.BytesIO(documents.rectification_docx(office["inspector"], sent.id)))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert tuple(round(m.mm) for m in margins) == (37, 35, 28, 26)
    texts = [p.text for p in doc.paragraphs if p.text]
    assert texts[0] == "安康市督查室文件"
    mark = next(p for p in doc.paragraphs if p.text).runs[0]
    assert str(mark.font.color.rgb) == "FF0000"
    assert texts[1] == "安督整〔2024〕7号"
    assert texts[2].replace("\n", "") == "关于市乡村振兴局督查发现问题的整改清单"
    assert texts[3] == "安康市乡村振兴局："
    assert texts[-2:] == ["安康市督查室", "2024年7月2日"]
    number = next(p for p in doc.paragraphs if p.text == "安督整〔2024〕7号")
    assert 'w:color="FF0000"' in number._p.xml  # the red rule under the number
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "问题", "涉及措施", "整改时限", "状态"]
    assert [r.cells[0].text for r in table.rows[1:]] == ["1", "2", "3"]
    assert table.rows[1].cells[3].text == "2024年8月31日" and table.rows[1].cells[4].text == "待整改"
    assert doc.core_properties.title == "关于市乡村振兴局督查发现问题的整改清单"


def test_only_the_unit_it_was_sent_to_and_the_readers_may_download_it(office, sent):
    for who in ("clerk", "leader", "inspector"):
        assert documents.rectification_docx(office[who], sent.id).startswith(b"PK")
    with pytest.raises(OutOfScope):
        documents.rectification_docx(office["other"], sent.id)
    with pytest.raises(OutOfScope):
        documents.rectification_xlsx(office["other"], sent.id)


def libreoffice() -> str | None:
    found = shutil.which("libreoffice") or shutil.which("soffice")
    if found and shutil.which("pdftoppm") and shutil.which("pdftotext"):
        return found
    if os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
        pytest.fail(
            "libreoffice, pdftoppm and pdftotext are needed (apt-get install libreoffice-writer-nogui poppler-utils)"
        )
    pytest.skip("libreoffice or poppler-utils not installed")


@pytest.mark.slow
def test_the_rectification_list_opens_in_libreoffice_with_title_number_and_table_on_page_one(
    office, sent, tmp_path
):
    soffice = libreoffice()
    source = tmp_path / "整改清单.docx"
    source.write_bytes(documents.rectification_docx(office["inspector"], sent.id))
    profile = tmp_path / "lo-profile"
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = tmp_path / "整改清单.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stdout + result.stderr
    page_one = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(page_one.split())
    assert "安康市督查室文件" in flat
    assert "关于市乡村振兴局督查发现问题的整改清单" in flat
    assert "安督整〔2024〕7号" in flat
    for header in ("序号", "问题", "涉及措施", "整改时限", "状态"):
        assert header in flat
    assert "问题台账更新不及时" in flat
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(SCREENSHOTS / "rectification-list-page-1"),
        ],
        check=True,
        timeout=60,
    )
    assert (SCREENSHOTS / "rectification-list-page-1.png").stat().st_size > 5_000


def test_the_rectification_list_xlsx_keeps_a_formula_like_title_as_text(office, sent):
    sheet = load_workbook(io.BytesIO(documents.rectification_xlsx(office["inspector"], sent.id))).active
    assert sheet["A1"].value == "关于市乡村振兴局督查发现问题的整改清单"
    assert sheet["A2"].value == "文号：安督整〔2024〕7号"
    assert [c.value for c in sheet[4]][:7] == [
        "序号",
        "问题",
        "问题详情",
        "涉及措施",
        "问题等级",
        "整改时限",
        "状态",
    ]
    formula_cell = sheet["B7"]
    assert formula_cell.value == FORMULA and formula_cell.data_type == "s" and formula_cell.quotePrefix


@pytest.mark.parametrize("kind", sorted(documents.LEDGERS))
def test_every_ledger_exports_with_a_header_and_never_a_live_formula(office, sent, kind, monkeypatch):
    monkeypatch.setenv("TRACKER_NOW", "2024-06-20T10:00:00+08:00")
    a = Assignment.select().join(Measure).where(Assignment.unit == office["clerk"].unit_id).first()
    reports.save_revision(
        office["clerk"], a.id, "2024-06", reports.ReportInput(percent=30, narrative=FORMULA)
    )
    monkeypatch.delenv("TRACKER_NOW")
    book = load_workbook(io.BytesIO(documents.ledger_xlsx(office["leader"], kind)))
    sheet = book.active
    assert sheet.title == documents.LEDGERS[kind]
    assert sheet["A1"].value and sheet["A1"].font.b
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert all(c.quotePrefix for c in cells if isinstance(c.value, str) and c.value.startswith("="))
    if kind in ("reports", "findings"):
        assert any(c.value == FORMULA for c in cells)


def test_a_unit_exports_only_its_own_rows(office, sent):
    unit_id = Unit.get(Unit.name == "安康市汉滨区").id
    supervision.open_finding(
        office["inspector"], unit_id=unit_id, title="汉滨区的问题", rectify_by=date(2030, 1, 1)
    )
    mine = load_workbook(io.BytesIO(documents.ledger_xlsx(office["other"], "findings"))).active
    everyone = load_workbook(io.BytesIO(documents.ledger_xlsx(office["leader"], "findings"))).active
    assert [r[5] for r in mine.iter_rows(min_row=2, values_only=True)] == ["汉滨区的问题"]
    assert everyone.max_row == 1 + 4


def assert_prints_one_page_wide(sheet, header_row: int):
    """What a clerk gets from 打印: A4, fit to one page wide, the header row repeated on every page."""
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    wide = sheet.max_column > 6
    assert sheet.page_setup.orientation == ("landscape" if wide else "portrait")


@pytest.mark.parametrize("kind", sorted(documents.LEDGERS))
def test_every_ledger_prints_fit_to_width_with_its_header_on_each_page(office, sent, kind):
    sheet = load_workbook(io.BytesIO(documents.ledger_xlsx(office["leader"], kind))).active
    header = next(r for r in range(1, 5) if sheet.cell(r, 2).value)  # caption lines span column A only
    assert_prints_one_page_wide(sheet, header)


def test_the_rectification_list_xlsx_prints_with_its_table_header_repeated(office, sent):
    sheet = load_workbook(io.BytesIO(documents.rectification_xlsx(office["inspector"], sent.id))).active
    assert sheet["A4"].value == "序号"
    assert_prints_one_page_wide(sheet, 4)


def test_the_reminders_ledger_names_the_plan_the_sender_and_the_channel_in_chinese(office, monkeypatch):
    from tracker.services import chasing

    monkeypatch.setenv("TRACKER_NOW", "2024-06-20T10:00:00+08:00")
    a = Assignment.select().where(Assignment.unit == office["clerk"].unit_id).first()
    chasing.chase_one(office["inspector"], assignment_id=a.id, message="请尽快报送")
    sheet = load_workbook(io.BytesIO(documents.ledger_xlsx(office["leader"], "reminders"))).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["方案"].startswith("支持乡村振兴重点帮扶镇") and "ankang" not in row["方案"]
    assert row["发起"] == "inspector"  # the person's display name (add_user defaults it to the username)
    assert row["送达情况"].startswith("站内消息：") and "in_app" not in row["送达情况"]
