# ruff: noqa: F811 (the browser fixtures are imported from test_browser and used as arguments)
"""An admin converts an old Word (.doc) notice in Chromium, corrects a unit in the review table, and loads
it after confirming the measure that has no lead. The .doc is made from a .docx by LibreOffice, as the
offices' own files are."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.web.test_browser import browse, browser, sign_in_as, snap  # noqa: F401 (fixtures)
from tracker.store.models import Measure, Plan

pytestmark = pytest.mark.browser

ROWS = [
    ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
    ["1", "完成通村道路硬化20公里。", "测试市甲局", "测试市乙局", "2024年10月底前"],
    ["2", "新建村级活动场所3处。", "测试市甲居", "测试市乙局", "年底前"],
    ["3", "开展人居环境整治月度检查。", "", "", "每月"],
]


def doc_notice(folder: Path) -> Path:
    from docx import Document

    if not shutil.which("soffice"):
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    document = Document()
    document.add_paragraph("测试市2024年农村人居环境整治任务分工")
    table = document.add_table(rows=len(ROWS), cols=len(ROWS[0]))
    for r, row in enumerate(ROWS):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.add_paragraph("测试市人民政府办公室")
    source = folder / "renjing-2024.docx"
    document.save(source)
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{folder / 'lo'}", "--headless", "--convert-to",
         "doc:MS Word 97", "--outdir", str(folder), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return folder / "renjing-2024.doc"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_admin_uploads_a_doc_notice_fixes_a_unit_in_the_table_and_loads_it(
    browse, world, viewport, tmp_path
):
    notice = doc_notice(tmp_path)
    tab = browse(viewport)
    page = tab.page
    sign_in_as(page, "admin")
    page.goto("/admin/notices/")
    page.set_input_files("#file", str(notice))
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/admin/notices/*")
    assert "3 项措施：" in page.inner_text(".facts") and "缺牵头单位" in page.inner_text(".facts")
    table = page.locator("table.review-table")
    assert table.locator("tr.measure").count() == 3
    assert "未列明牵头或责任单位" in table.locator("tr.measure").nth(2).inner_text()
    snap(tab, "notice-review")

    # the misprinted unit is picked from the stored ones
    lead = page.locator("input[name=r1-lead]")
    assert lead.input_value() == "测试市甲居"
    assert page.locator("#unit-choices option[value='测试市甲局']").count() == 1
    lead.fill("测试市甲局")
    page.click("button:has-text('保存表格修改并检查')")
    page.wait_for_load_state()
    assert "加载后将发生的变动" in page.inner_text("#check")
    assert page.locator("input[name=r1-lead]").input_value() == "测试市甲局"

    # measure 3 has no lead: loading asks first, and a browser will not submit without the tick
    assert "1 项措施没有牵头单位" in page.inner_text(".confirm-load")
    page.check("#confirm")
    snap(tab, "notice-confirm")
    page.click("button:has-text('确认加载')")
    page.wait_for_load_state()
    assert "已加载方案" in page.inner_text("main")
    plan = Plan.get(Plan.title == "测试市2024年农村人居环境整治任务分工")
    leads = {
        m.title: [a.unit.name for a in m.assignments if a.role == "lead"]
        for m in Measure.select().where(Measure.plan == plan)
    }
    assert leads["新建村级活动场所3处"] == ["测试市甲局"]
