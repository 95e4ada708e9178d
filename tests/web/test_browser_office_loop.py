"""The office's loop end to end in headless Chromium, with the forms as served: the office records a
finding and issues a rectification list, the unit answers with evidence, the office closes it, and
after the month's cut-off the office publishes the board from the app and the public board counts the
finding closed. Runs on SQLite and, with TRACKER_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.web.test_browser import VIEWPORTS, browse, browser, sign_in_as, snap  # noqa: F401 (fixtures)
from tests.web.world import PNG

pytestmark = pytest.mark.browser

TITLE = "村级光伏电站运维台账缺失"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_office_loop_from_finding_to_the_public_board(browse, world, app, viewport, monkeypatch):  # noqa: F811
    office = browse(viewport)
    page = office.page
    sign_in_as(page, "inspector")

    # 1. Record a finding (登记问题) on the clerk's unit, public, due by the end of May.
    page.goto("/office/findings/new?plan=matrix-2024")
    page.select_option("#unit", label="测试市甲局")
    page.select_option("#measure", index=1)
    page.fill("#title", TITLE)
    page.fill("#detail", "抽查发现 2 个村的光伏电站无运维记录。")
    page.check("input[name=severity][value=serious]")
    page.fill("#rectify_by", "2024-05-31")
    page.check("#public")
    page.click("button:has-text('保存'):not([name=another])")
    assert "问题已登记" in page.inner_text("main")
    finding_url = page.url
    snap(office, "office-finding-recorded")

    # 2. Issue a rectification list (下发整改清单) with that finding.
    page.goto("/office/rectifications/new")
    page.select_option("#pick-unit", value=str(world.own.assignment.unit_id))
    page.click("button:has-text('列出该单位的问题')")
    box = page.locator("label", has_text=TITLE).locator("xpath=preceding-sibling::input")
    assert box.is_checked()
    page.fill("#doc_number", "测督整〔2024〕7号")
    page.click("button:has-text('下发整改清单')")
    assert "测督整〔2024〕7号 已下发" in page.inner_text("main")

    # 3. The unit answers with evidence.
    unit = browse(viewport)
    sign_in_as(unit.page, "clerk")
    unit.page.goto("/findings/")
    unit.page.click(f"a:has-text('{TITLE}')")
    unit.page.fill("#note", "已补建运维台账，每周巡检一次。")
    unit.page.set_input_files(
        "#files", files=[{"name": "运维台账.png", "mimeType": "image/png", "buffer": PNG}]
    )
    snap(unit, "unit-finding-answer")
    unit.page.click("button:has-text('报送')")
    assert "已反馈" in unit.page.inner_text("main") or "已报送" in unit.page.inner_text("main")

    # 4. The office reads the answer and closes the finding (销号).
    page.goto(finding_url)
    assert "运维台账.png" in page.inner_text("main")
    page.fill("form[action$='/close'] textarea", "实地核查属实。")
    page.click("button:has-text('核查属实，销号')")
    assert "已销号" in page.inner_text("main")
    snap(office, "office-finding-closed")

    # 5. After May's cut-off the office publishes May's board from the app.
    monkeypatch.setenv("TRACKER_NOW", "2024-06-03T09:00:00+08:00")
    office = browse(viewport)
    page = office.page
    sign_in_as(page, "inspector")
    page.goto("/office/bulletins?plan=matrix-2024")
    row = page.locator("#board-2024-05")
    assert "未发布" in row.inner_text()
    row.locator("button:has-text('发布')").click()
    assert "2024年5月月通报已发布到公开网站" in page.inner_text("main")
    assert "已发布" in page.locator("#board-2024-05").inner_text()
    snap(office, "office-bulletins-published")

    # 6. The public board counts it closed, and names it as closed on the measure's page.
    board = json.loads((Path(app.config["SITES_DIR"]) / "matrix-2024" / "2024-05" / "board.json").read_text())
    measure = next(m for m in board["measures"] if m["code"] == "1.1")
    assert measure["findings"]["closed"] == 1
    page.goto("/site/matrix-2024/2024-05/measures/1.1.html")
    text = page.inner_text("main")
    assert TITLE in text and "已销号" in text
    snap(office, "site-measure-finding-closed")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_error_pages_and_form_errors_read_in_chinese_in_the_browser(browse, world, viewport):  # noqa: F811
    tab = browse(viewport)
    tab.expected_statuses.update({400, 404})
    page = tab.page
    sign_in_as(page, "clerk")
    response = page.goto("/unit/no-such-page")
    assert response.status == 404 and "未找到" in page.inner_text("main")
    assert page.locator("main a:has-text('回到首页')").count() == 1
    snap(tab, "error-404")

    page.goto(f"/unit/assignments/{world.own.assignment.id}/reports/{world.period}")
    page.fill("#percent", "55.5")
    page.click("#save")
    summary = page.locator(".error-summary")
    assert "不是有效的整数" in summary.inner_text()
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.classList.contains('error-summary')",
        timeout=5000,
    )
    assert page.get_attribute("#percent", "aria-invalid") == "true"
    snap(tab, "unit-report-errors")
