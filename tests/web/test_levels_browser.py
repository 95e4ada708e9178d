"""Work on several levels in headless Chromium, at phone and desktop widths: a county office sees only
its county, a county splits its assignment to two towns (分解), and the lead reads its responsible
units' reports (牵头单位汇总), with the towns a county split to under it; the county office rates its
own units and only reads the bulletins. The plan is tests/services/test_levels.py's city over two
counties."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.services.test_levels import PLAN
from tests.web.test_browser import VIEWPORTS, browse, browser, sign_in_as, snap  # noqa: F401 (fixtures)
from tracker.plans.load import load_plans
from tracker.services.breakdown import Part, split
from tracker.services.reports import ReportInput, save_revision
from tracker.services.scoping import Scope
from tracker.services.users import add_user
from tracker.store.models import Assignment, Indicator, Measure, Unit, User

pytestmark = pytest.mark.browser
PASSWORD = "a long password"


@pytest.fixture
def levels(app, tmp_path, monkeypatch):
    """The city plan loaded on 20 June 2024, with a county office, a county clerk and the lead's clerk."""
    monkeypatch.setenv("TRACKER_NOW", "2024-06-20T10:00:00+08:00")
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    load_plans([tmp_path / "plan.yaml"])
    add_user("dongling-office", "inspector", "东岭县", PASSWORD, must_change=False)
    add_user("dongling-clerk", "reporter", "东岭县", PASSWORD, must_change=False)
    add_user("xichuan-clerk", "reporter", "西川县", PASSWORD, must_change=False)
    add_user("zhujian-clerk", "reporter", "测试市住房和城乡建设局", PASSWORD, must_change=False)
    return {
        a.unit.label: a
        for a in Assignment.select(Assignment, Unit)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .switch(Assignment)
        .join(Measure)
        .where(Measure.code == "1.1")
    }


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_county_office_sees_only_its_county(browse, levels, viewport):  # noqa: F811
    tab = browse(viewport)
    tab.expected_statuses.add(404)
    page = tab.page
    sign_in_as(page, "dongling-office", PASSWORD)
    page.goto("/office/?plan=levels-2024")
    main = page.inner_text("main")
    assert "东岭县" in main and "西川县" not in main and "市住建局" not in main
    snap(tab, "levels-county-office")
    response = page.goto(f"/office/assignments/{levels['西川县'].id}")
    assert response.status == 404 and "西川县" not in page.inner_text("main")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_county_splits_its_assignment_to_two_towns(browse, levels, viewport):  # noqa: F811
    county = levels["东岭县"]
    tab = browse(viewport)
    page = tab.page
    sign_in_as(page, "dongling-clerk", PASSWORD)
    page.goto(f"/unit/assignments/{county.id}/")
    page.click("a:has-text('任务分解')")
    page.wait_for_url(f"**/unit/assignments/{county.id}/breakdown")
    assert "尚未分解" in page.inner_text("main")
    assert "本单位任务 60户" in page.inner_text("form.breakdown-form")  # 东岭县's share of the city's 100
    for town, due, share in (("甲镇", "2024-10-31", "35"), ("乙镇", "2024-11-30", "25")):
        uid = Unit.get(Unit.short == town).id
        page.check(f"#pick-{uid}")
        page.fill(f"#due-{uid}", due)
        page.fill(f"input[id^='share-{uid}-']", share)
    snap(tab, "levels-breakdown-form")
    page.click("form.breakdown-form button[type=submit]")
    page.wait_for_url(f"**/unit/assignments/{county.id}/breakdown")
    assert "已分解给 2 个下级单位" in page.inner_text("main")
    current = page.inner_text("table.breakdown-current")
    assert "甲镇" in current and "35" in current and "乙镇" in current and "25" in current
    assert page.locator("table.breakdown-history tbody tr").count() == 2
    snap(tab, "levels-breakdown-saved")
    shares = {
        a.unit.short: a.shares
        for a in Assignment.active()
        .where(Assignment.parent == county.id)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .select(Assignment, Unit)
    }
    code = Indicator.get(Indicator.measure == county.measure_id).code
    assert shares == {"甲镇": {code: 35}, "乙镇": {code: 25}}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_lead_opens_its_compile_page(browse, levels, viewport):  # noqa: F811
    county = levels["东岭县"]
    code = Indicator.get(Indicator.measure == county.measure_id).code
    save_revision(
        Scope.of(User.get(User.username == "dongling-clerk")),
        county.id,
        "2024-06",
        ReportInput(percent=50, narrative="东岭县已竣工危房三十二户", indicator_values={code: Decimal(32)}),
        [],
        expected_revision_number=0,
    )
    # 东岭县 split its part to two towns; 甲镇 has reported
    towns = {u.short: u for u in Unit.select().where(Unit.short.in_(["甲镇", "乙镇"]))}
    clerk = Scope.of(User.get(User.username == "dongling-clerk"))
    split(
        clerk,
        county.id,
        [Part(towns["甲镇"].id, {code: Decimal(35)}), Part(towns["乙镇"].id, {code: Decimal(25)})],
    )
    jia = Assignment.get(Assignment.parent == county.id, Assignment.unit == towns["甲镇"])
    add_user("jiazhen-clerk", "reporter", "东岭县甲镇", PASSWORD, must_change=False)
    save_revision(
        Scope.of(User.get(User.username == "jiazhen-clerk")),
        jia.id,
        "2024-06",
        ReportInput(percent=60, narrative="甲镇已竣工二十户", indicator_values={code: Decimal(20)}),
        [],
        expected_revision_number=0,
    )
    tab = browse(viewport)
    page = tab.page
    sign_in_as(page, "zhujian-clerk", PASSWORD)
    page.goto(f"/unit/assignments/{levels['市住建局'].id}/")
    page.click("a:has-text('牵头单位汇总')")
    page.wait_for_url(f"**/unit/assignments/{levels['市住建局'].id}/compile?period=2024-06")
    summary = page.inner_text("section.compile-summary")
    assert "共 2 个责任单位,已报送 1 个" in summary and "尚未报送:西川县" in summary
    assert "各责任单位合计 32户(目标 100户)" in summary
    assert "分解到的 2 个下级单位已报送 1 个" in summary
    table = page.inner_text("table.compile")
    assert "东岭县已竣工危房三十二户" in table
    jia_row = page.locator("table.compile tbody tr.split-row", has_text="甲镇").inner_text()
    assert "(东岭县分解)" in jia_row and "甲镇已竣工二十户" in jia_row
    assert "未报送" in page.locator("table.compile tbody tr.split-row", has_text="乙镇").inner_text()
    assert page.locator("main form[method=post]").count() == 0  # read-only
    snap(tab, "levels-compile")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_county_office_rates_its_own_units(browse, levels, viewport):  # noqa: F811
    tab = browse(viewport)
    page = tab.page
    sign_in_as(page, "dongling-office", PASSWORD)
    page.goto("/office/ratings?plan=levels-2024&quarter=2024Q2")
    table = page.inner_text("form.ratings table")
    assert "东岭县" in table and "西川县" not in table and "市住建局" not in table
    page.fill("input[aria-label='东岭县 评分']", "8.5")
    page.fill("input[aria-label='东岭县 评分说明']", "按时报送，材料齐全")
    snap(tab, "levels-county-ratings")
    page.click("form.ratings button[type=submit]")
    page.wait_for_url("**/office/ratings?plan=levels-2024&quarter=2024Q2")
    assert "已保存 1 个单位的质量评分" in page.inner_text("main")
    assert page.input_value("input[aria-label='东岭县 评分']") == "8.5"
    page.goto("/office/bulletins?plan=levels-2024")
    assert "市督查室负责" in page.inner_text("main") and page.locator("a:has-text('撰写点评')").count() == 0
