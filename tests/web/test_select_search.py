"""Long unit lists in a form get a search box (static/select-search.js, no inline script): typing part
of a name keeps the matching units and picks the first; the form then submits that unit as served."""

from __future__ import annotations

import pytest

from tests.web.test_browser import browse, browser, sign_in_as  # noqa: F401 (fixtures)
from tracker.store.models import User

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_an_admin_finds_the_unit_by_typing_part_of_its_name(browse, world, viewport):  # noqa: F811
    tab = browse(viewport)
    page = tab.page
    sign_in_as(page, "admin")
    assert page.goto("/admin/users/new").ok
    page.fill("#username", f"new-{viewport}")
    page.select_option("#role", "reporter")
    search = page.get_by_label("查找所在单位")
    search.fill("乙局")
    shown = page.eval_on_selector("#unit", "s => [...s.options].filter(o => !o.hidden).map(o => o.text)")
    assert shown and all("乙局" in t for t in shown if t != "不属于单位"), shown
    assert page.eval_on_selector("#unit", "s => s.selectedOptions[0].text") == "测试市乙局"
    with page.expect_navigation():
        page.click("form.form button[type=submit], form.form input[type=submit]")
    assert User.get(User.username == f"new-{viewport}").unit.name == "测试市乙局"
