"""Report drafts in Chromium, as a clerk meets them: type into the report form, the page autosaves
(static/report-draft.js) a few seconds after typing stops, the session ends, and after signing in
again the text is back, marked 已恢复未提交的草稿."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.test_browser import browse, browser, sign_in_as  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_typed_text_is_autosaved_and_restored_after_signing_in_again(browse, world, viewport):  # noqa: F811
    tab = browse(viewport)
    page = tab.page
    sign_in_as(page, "clerk")
    url = f"/unit/assignments/{world.own.assignment.id}/reports/{world.period}"
    assert page.goto(url).ok
    page.fill("#narrative", "")
    page.locator("#narrative").type("已完成东坡村、西河村的排查，还差 2 个村")
    page.fill("#percent", "45")
    # The status line says when the draft was kept (no clock in the test: wait for the words).
    expect(page.locator(".draft-status")).to_contain_text("草稿已自动暂存", timeout=15_000)

    with page.expect_navigation():
        page.get_by_role("button", name="退出").click()  # the session ends before 提交
    assert "/login" in page.goto(url).url

    sign_in_as(page, "clerk")
    assert page.goto(url).ok
    assert page.get_by_text("已恢复未提交的草稿").first.is_visible()
    assert page.input_value("#narrative") == "已完成东坡村、西河村的排查，还差 2 个村"
    assert page.input_value("#percent") == "45"
