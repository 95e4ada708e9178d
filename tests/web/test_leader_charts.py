"""Leader charts at desktop width use the page's width and carry their values: each segment of a
stacked bar wide enough to hold its count, each point of the on-time line; on a phone a chart keeps a
readable size and scrolls inside its own box, never the page."""

from __future__ import annotations

import pytest

from tests.web.test_browser import browse, browser, sign_in_as  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

MEASURE = """(id) => {
  const fig = document.getElementById(id).closest('figure');
  const svg = fig.querySelector('svg');
  const px = (t) => t.getBoundingClientRect().height;
  return {
    width: svg.getBoundingClientRect().width,
    main: document.querySelector('main').clientWidth,
    segs: [...svg.querySelectorAll('text.seg')].map(t => t.textContent),
    points: [...svg.querySelectorAll('text.point')].map(t => t.textContent),
    labelPx: Math.min(...[...svg.querySelectorAll('text.label, text.tick')].map(px)),
    pageScroll: document.documentElement.scrollWidth, innerWidth: innerWidth,
  };
}"""


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_leaders_charts_use_the_width_and_show_their_values(browse, world, viewport):  # noqa: F811
    tab = browse(viewport)
    sign_in_as(tab.page, "leader")
    page = tab.page
    assert page.goto(f"/leader/plans/{world.plan.code}").ok
    units = page.evaluate(MEASURE, "chart-units-t")
    ontime = page.evaluate(MEASURE, "chart-ontime-t")
    assert units["pageScroll"] <= units["innerWidth"]  # a wide chart scrolls in its box, not the page
    assert units["segs"] and all(s.isdigit() for s in units["segs"])  # counts written on the bars
    assert ontime["points"] and all(p.endswith("%") for p in ontime["points"])  # rates on the points
    assert units["labelPx"] >= 10  # unit names readable (at least 10 px high)
    if viewport == "desktop":
        assert units["width"] >= 0.95 * units["main"] - 20, units  # was 240 px: the chart fills the page
