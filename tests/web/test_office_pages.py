"""The office's overview pages: lights with filters, missing and late reports, the unit × plan lights,
what changed since last month, one assignment with its history and the manual chase."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import csrf_token, sign_in
from tracker.services import reports
from tracker.services.scoping import Scope
from tracker.store.models import Assignment, Measure, Plan, Reminder, Unit


@pytest.fixture
def as_(app, people, monkeypatch):
    """A factory: a fresh client signed in as one of the test people, on 1 July 2024."""
    monkeypatch.setenv("TRACKER_NOW", "2024-07-01T10:00:00+08:00")

    def _as(name: str):
        client = app.test_client()
        assert sign_in(client, name).status_code == 302
        return client

    return _as


def assignment(unit: str, code: str) -> Assignment:
    return (
        Assignment.select()
        .join(Measure)
        .join(Plan)
        .where(
            Plan.code == "ankang-2023",
            Measure.code == code,
            Assignment.unit == Unit.get(Unit.name == unit).id,
        )
        .get()
    )


@pytest.fixture
def reported(people, monkeypatch):
    """市乡村振兴局 reported June on time for 2.2.2; nobody else reported anything."""
    a = assignment("安康市乡村振兴局", "2.2.2")
    monkeypatch.setenv("TRACKER_NOW", "2024-06-20T10:00:00+08:00")
    reports.save_revision(Scope.of(people["clerk"]), a.id, "2024-06", reports.ReportInput(percent=55))
    monkeypatch.setenv("TRACKER_NOW", "2024-07-01T10:00:00+08:00")
    return a


def test_the_office_lands_on_the_overview_with_a_card_for_every_plan(as_, app, people):
    client = app.test_client()
    assert sign_in(client, "inspector").headers["Location"].endswith("/office/")
    page = as_("inspector").get("/office/").get_data(as_text=True)
    for title in ("重点帮扶镇", "十大提升行动", "资兴市"):
        assert title in page
    assert "逐项亮灯" in page and "缺报" in page


def test_the_overview_filters_by_unit_light_and_report_status(as_, reported):
    page = (
        as_("inspector")
        .get(f"/office/?plan=ankang-2023&unit={reported.unit_id}&report=on_time")
        .get_data(as_text=True)
    )
    assert "共 1 项分工" in page and "2.2.2" in page and "按时报送" in page
    red = as_("inspector").get("/office/?plan=ankang-2023&light=red").get_data(as_text=True)
    assert "共 " in red and "绿灯</span>" not in red.split("逐项亮灯")[1]


def test_the_overview_reads_any_past_date(as_):
    page = as_("inspector").get("/office/?plan=xunyi-2024&date=2024-03-10").get_data(as_text=True)
    assert "截至 2024年3月10日 23:59" in page and "按所选日期回看" in page
    assert "格式不对" in as_("inspector").get("/office/?date=昨天", follow_redirects=True).get_data(
        as_text=True
    )


def test_the_missing_list_names_each_unit_with_its_missing_measures(as_, reported):
    page = as_("inspector").get("/office/missing").get_data(as_text=True)
    ankang = page.split("重点帮扶镇", 1)[1].split("</section>")[0]
    assert "2024-06：缺报" in ankang
    row = re.search(r"<th scope=\"row\">市乡村振兴局</th>(.*?)</tr>", ankang, re.S).group(1)
    assert f'href="/office/assignments/{reported.id}"' not in row  # on time: not on the list
    assert "汉滨区" in ankang


def test_the_unit_matrix_and_the_changes_since_last_month(as_, reported):
    office = as_("inspector")
    matrix = office.get("/office/matrix").get_data(as_text=True)
    assert "ankang-2023" in matrix and "xunyi-2024" in matrix and "市乡村振兴局" in matrix
    changes = office.get("/office/changes?plan=ankang-2023&date=2024-07-01").get_data(as_text=True)
    assert "比较 2024年6月1日" in changes and "各单位分工亮灯变化" in changes


def test_an_assignment_page_shows_its_history_and_the_office_chases_from_it(as_, reported):
    office = as_("inspector")
    page = office.get(f"/office/assignments/{reported.id}").get_data(as_text=True)
    assert "6月按时报送" in page and "第 1 版" in page and "人工催办" in page
    token = csrf_token(office, f"/office/assignments/{reported.id}")
    response = office.post(
        f"/office/assignments/{reported.id}/chase",
        data={"csrf_token": token, "message": "请报送7月进展。", "slip": "2"},
        follow_redirects=True,
    )
    assert "黄色督办单" in response.get_data(as_text=True)
    chase = Reminder.get(Reminder.assignment == reported.id)
    assert chase.step == 2 and "请报送7月进展。" in chase.message


def test_a_leader_reads_the_office_pages_without_any_form_to_change_them(as_, reported):
    leader = as_("leader")
    for path in (
        f"/office/assignments/{reported.id}",
        "/office/findings",
        "/office/ratings",
        "/office/extensions",
    ):
        page = leader.get(path).get_data(as_text=True)
        forms = re.findall(r'<form method="post" action="([^"]+)"', page)
        assert forms == ["/logout"], (path, forms)
    assert leader.get("/office/inspections/new").status_code == 403
