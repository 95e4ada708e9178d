"""The leaders' dashboard: one read-only screen per plan with inline SVG charts (each with a <title>
and an equivalent data table, no script), worst units, open findings by age, and ledger exports."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.web.conftest import sign_in
from tracker.services import documents, supervision
from tracker.services.scoping import Scope
from tracker.store.models import Plan, Unit


@pytest.fixture
def leader(app, people, monkeypatch):
    monkeypatch.setenv("TRACKER_NOW", "2024-07-20T10:00:00+08:00")
    client = app.test_client()
    assert sign_in(client, "leader").status_code == 302
    return client


@pytest.fixture
def old_finding(people, monkeypatch):
    monkeypatch.setenv("TRACKER_NOW", "2024-03-01T10:00:00+08:00")
    row = supervision.open_finding(
        Scope.of(people["inspector"]),
        unit_id=Unit.get(Unit.name == "安康市汉滨区").id,
        plan_id=Plan.get(Plan.code == "ankang-2023").id,
        title="驻村干部在岗率偏低",
        rectify_by=date(2024, 4, 30),
    )
    monkeypatch.setenv("TRACKER_NOW", "2024-07-20T10:00:00+08:00")
    return row


def test_the_dashboard_lists_every_plan_with_its_lights(leader):
    shipped = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "measures").glob("*.yaml"))
    page = leader.get("/leader/").get_data(as_text=True)
    assert page.count('href="/leader/plans/') == len(shipped) and "措施亮灯" in page
    for code in shipped:
        assert f'href="/leader/plans/{code}"' in page
    assert 'href="/leader/exports/findings.xlsx"' in page


def test_a_plans_screen_draws_charts_with_titles_and_data_tables_and_no_script(leader, old_finding):
    response = leader.get("/leader/plans/ankang-2023")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<script" not in page
    svgs = re.findall(r"<svg role=\"img\" aria-labelledby=\"([^\"]+)\".*?</svg>", page, re.S)
    assert len(svgs) >= 5
    for chart_id in svgs:
        assert f'<title id="{chart_id}">' in page
    assert page.count('<table class="data">') == len(svgs)
    assert "各部分措施亮灯" in page and "各月月调度措施亮灯数" in page and "各月按时报送率" in page
    trend = page.split("<caption>各月按时报送率</caption>", 1)[1].split("</table>", 1)[0]
    assert re.findall(r'<th scope="row">([^<]+)</th>', trend)[-2:] == ["5月", "6月"]
    assert "需重点关注的单位" in page and "汉滨区" in page
    assert "驻村干部在岗率偏低" in page and "141 天" in page and "已逾期" in page


def test_the_leader_downloads_every_ledger_as_a_workbook(leader, old_finding):
    for ledger, title in documents.LEDGERS.items():
        response = leader.get(f"/leader/exports/{ledger}.xlsx?plan=ankang-2023")
        assert response.status_code == 200 and response.mimetype == documents.XLSX_TYPE
        assert "attachment" in response.headers["Content-Disposition"]
        assert load_workbook(io.BytesIO(response.data)).active.title == title
    assert leader.get("/leader/exports/passwords.xlsx").status_code == 404
    assert leader.get("/leader/exports/findings.xlsx?plan=nope").status_code == 404


def test_unit_people_cannot_reach_the_dashboard_or_its_exports(app, people):
    clerk = app.test_client()
    sign_in(clerk, "clerk")
    assert clerk.get("/leader/").status_code == 403
    assert clerk.get("/leader/plans/ankang-2023").status_code == 403
    assert clerk.get("/leader/exports/reports.xlsx").status_code == 403
