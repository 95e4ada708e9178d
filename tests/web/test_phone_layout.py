"""A phone (390 px) shows a saved report whole: progress and every indicator value on screen, nothing
scrolls sideways, and a Markdown table in the narrative keeps its header row (it scrolls inside its
own box instead)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.web.test_browser import browse, browser, sign_in_as  # noqa: F401 (fixtures)
from tracker.services.reports import ReportInput, save_revision
from tracker.services.scoping import Scope
from tracker.store.models import Indicator, User

pytestmark = pytest.mark.browser

LONG_NAME = "有劳动能力的易返贫致贫人口全部动态清零的重点帮扶村累计完成农村卫生厕所改建数量"
TABLE = """本月分村进展如下：

| 村名 | 已改建(座) | 计划(座) | 完成率 | 备注 |
| --- | --- | --- | --- | --- |
| 东坡村 | 12 | 20 | 60% | 材料已到位，等待施工队进场 |
| 西河村 | 8 | 15 | 53% | 两户因外出务工暂缓 |
"""


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_saved_report_keeps_progress_values_and_table_headers_on_screen(browse, world, viewport):  # noqa: F811
    own = world.own
    indicator = Indicator.get(Indicator.measure == own.assignment.measure_id)
    Indicator.update(name=LONG_NAME).where(Indicator.id == indicator.id).execute()
    save_revision(
        Scope.of(User.get(User.username == "clerk")),
        own.assignment.id,
        world.period,
        ReportInput(
            percent=65,
            narrative=TABLE,
            indicator_values={indicator.code: Decimal("123456789")},
            indicator_notes={
                indicator.code: "含以前年度已改建、本年复核确认的户厕，按县乡村振兴局台账口径统计"
            },
        ),
    )
    tab = browse(viewport)
    sign_in_as(tab.page, "clerk")
    page = tab.page
    assert page.goto(f"/unit/assignments/{own.assignment.id}/reports/{world.period}").ok
    layout = page.evaluate(
        """() => {
        const rev = document.querySelector('article.revision');
        const dds = [...rev.querySelectorAll('dl.facts dd')];
        const th = rev.querySelector('.md table thead th');
        th.scrollIntoView();
        const r = th.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        const seen = !!hit && (hit === th || th.contains(hit));
        const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.width, r.height]; };
        return {
          scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth,
          values: dds.map(d => [d.textContent.trim(), ...box(d)]),
          header: [th.textContent.trim(), ...box(th)],
          headerSeen: seen,
          tableBox: box(rev.querySelector('.md table')),
        };
    }"""
    )
    assert layout["scrollWidth"] <= layout["innerWidth"], layout
    shown = {v[0]: v for v in layout["values"]}
    assert any(t.startswith("65%") for t in shown)
    assert any("123456789" in t for t in shown)
    for text, left, right, width, _height in layout["values"]:
        assert left >= 0 and right <= layout["innerWidth"] and width > 40, (text, left, right)
    name, left, right, width, height = layout["header"]
    assert name == "村名" and height > 10 and width > 10
    assert layout["headerSeen"], "the table's header row is hidden"  # a person sees 村名 above the rows
    assert layout["tableBox"][1] <= layout["innerWidth"]  # the table scrolls inside the page, not the page
