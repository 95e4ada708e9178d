"""The dispatch sheet on the unit's home: download, fill, upload; all or nothing."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.web.conftest import csrf_token
from tracker.services.sheets import template_bytes
from tracker.store.models import Assignment, ReportRevision, Unit


@pytest.fixture(autouse=True)
def may_2024(monkeypatch, database_url):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")


def filled(data: bytes, percent=60) -> bytes:
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    for n in range(2, sheet.max_row + 1):
        sheet.cell(n, 5).value = percent
        sheet.cell(n, 7).value = "按月推进"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, name="调度表.xlsx"):
    return client.post(
        "/unit/sheet",
        data={"csrf_token": csrf_token(client, "/unit/"), "sheet": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_a_clerk_downloads_the_units_sheet_and_uploads_it_filled(client, signed_in, people):
    signed_in("clerk")
    response = client.get("/unit/sheet?plan=ankang-2023&period=2024-05")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    unit = Unit.get(Unit.name == "安康市乡村振兴局")
    count = Assignment.select().where(Assignment.unit == unit).count()
    assert sheet.max_row - 1 == count
    page = upload(client, filled(response.get_data())).get_data(as_text=True)
    assert f"新增 {count} 条报送修订" in page
    assert {(r.author.username, r.source, r.percent) for r in ReportRevision.select()} == {
        ("clerk", "import", 60)
    }


def test_a_sheet_with_another_units_rows_is_refused_as_a_whole(client, signed_in, people):
    signed_in("clerk")
    page = upload(client, filled(template_bytes("ankang-2023", "2024-05"))).get_data(as_text=True)
    assert "调度表未导入" in page and "不是您所在的单位" in page
    assert ReportRevision.select().count() == 0


def test_a_bad_cell_is_named_by_row_and_column(client, signed_in, people):
    signed_in("clerk")
    book = load_workbook(io.BytesIO(filled(template_bytes("ankang-2023", "2024-05", "安康市乡村振兴局"))))
    book.worksheets[0].cell(4, 5).value = "一半"
    out = io.BytesIO()
    book.save(out)
    page = upload(client, out.getvalue()).get_data(as_text=True)
    assert "第4行 E列(完成进度(%)):&#39;一半&#39; 不是 0–100 的整数" in page
    assert ReportRevision.select().count() == 0


def test_an_upload_that_is_not_a_sheet_is_refused_by_its_content(client, signed_in, people):
    signed_in("clerk")
    page = upload(client, b"<html><script>alert(1)</script></html>").get_data(as_text=True)
    assert "不是 Excel" in page
