"""A new month's report form starts from last month's values (沿用上期), marked for checking."""

from __future__ import annotations

import pytest

from tests.web.conftest import submit
from tests.web.test_unit_report import assignment_of, report_url
from tracker.store.models import Indicator, ReportRevision


@pytest.fixture(autouse=True)
def may_2024(monkeypatch, database_url):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")


def test_mays_form_starts_from_aprils_progress_values_and_next_steps(web_as, people):
    a = assignment_of("安康市乡村振兴局")
    risk = Indicator.get(Indicator.measure == a.measure_id, Indicator.code == "villages-risk-cleared")
    web = web_as("clerk")
    april = {
        "percent": "40",
        "narrative": "4月排查 120 个村",
        "next_steps": "5月完成剩余村的排查",
        f"ind_{risk.id}": "120",
    }
    assert (
        submit(web.get(report_url(a, "2024-04")), report_url(a, "2024-04"), april, button="save").status_int
        == 302
    )

    page = web.get(report_url(a))
    assert "沿用上期，请核对修改" in page.text
    assert page.html.find("input", id="percent")["value"] == "40"
    assert page.html.find("input", attrs={"name": f"ind_{risk.id}"})["value"] == "120"
    assert page.html.find("textarea", id="next_steps").text.strip() == "5月完成剩余村的排查"
    assert page.html.find("textarea", id="narrative").text.strip() == ""  # this month's work is new text

    may = {"percent": "55", "narrative": "5月排查 60 个村", f"ind_{risk.id}": "180"}
    assert submit(page, report_url(a), may, button="save").status_int == 302
    latest = ReportRevision.select().order_by(ReportRevision.id.desc()).get()
    assert (latest.report.period, latest.percent, latest.next_steps) == ("2024-05", 55, "5月完成剩余村的排查")
    assert "沿用上期" not in web.get(report_url(a)).text  # filed: the form shows May's own revision
