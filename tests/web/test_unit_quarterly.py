"""A county on Chongqing's quarterly ledger files its quarter from its home, through the form as
served; the month is not a period it reports."""

from __future__ import annotations

from tests.web.conftest import PASSWORD, served_form, web_sign_in
from tracker.services.users import add_user
from tracker.store.models import Assignment, Measure, Plan, Report, Unit


def test_a_quarterly_measure_is_filed_for_its_quarter(app, people, monkeypatch):
    import webtest

    monkeypatch.setenv("TRACKER_NOW", "2024-09-20T10:00:00+08:00")
    add_user("chengkou", "reporter", "城口县", PASSWORD, must_change=False)
    web = webtest.TestApp(app)
    web_sign_in(web, "chengkou")
    a = (
        Assignment.select()
        .join(Measure)
        .join(Plan)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(Plan.code == "chongqing-2023-counties", Measure.code == "2.2.1", Unit.name == "城口县")
        .get()
    )
    home = web.get("/unit/")
    link = home.html.find("a", href=f"/unit/assignments/{a.id}/reports/2024Q3")
    assert link is not None, "the home links the quarter, not the month"
    row = link.find_parent("tr")
    # Due on the plan's due day of the quarter's last month; red, since 2024Q2's report never came.
    assert "未到期 截止 2024年9月25日 23:59" in row.text and "红灯" in row.text

    page = web.get(link["href"])
    form = served_form(page, f"/unit/assignments/{a.id}/reports/2024Q3")
    form["percent"] = "55"
    form["narrative"] = "三季度新改造农村户厕 420 户。"
    saved = form.submit("save")
    assert saved.status_int == 302
    assert [r.period for r in Report.select().where(Report.assignment == a.id)] == ["2024Q3"]

    web.get(f"/unit/assignments/{a.id}/reports/2024-09", status=404)  # a month is no period of it
