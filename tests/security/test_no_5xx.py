"""Finding 7: fuzzed input answered 500 — ids ≥ 2⁶³ on SQLite, `?date=0001-01-01`, `/site/%00`.

No input a client can send answers 5xx: ids are bounded in the URL converter, dates are kept to
2000–2099, a NUL in the path is refused before any view.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.conftest import csrf_token
from tests.web.test_unit_report import assignment_of


@pytest.fixture
def clerk(signed_in, monkeypatch):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")
    return signed_in("clerk")


@pytest.mark.parametrize("big", [2**31, 2**63, 2**64 + 7, 10**30])
def test_an_id_beyond_any_row_is_not_found(clerk, big):
    assert clerk.get(f"/unit/assignments/{big}/reports/2024-05").status_code == 404
    assert clerk.get(f"/unit/evidence/{big}").status_code == 404
    assert clerk.post(f"/unit/revisions/{big}/signoff").status_code in (400, 403, 404)


def test_a_far_date_is_refused_with_a_message(signed_in, monkeypatch):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")
    office = signed_in("inspector")
    for day in ("0001-01-01", "9999-12-31", "1899-12-31"):
        response = office.get(f"/office/?date={day}")
        assert response.status_code == 200 and "超出可查询范围" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/site/%00", "/site/a%00b/index.html", "/login%00", "/unit/%00"])
def test_a_nul_in_the_path_is_refused_early(client, path):
    assert client.get(path).status_code == 400


def test_a_version_of_a_report_nobody_saved_is_a_form_error_and_nothing_is_stored(clerk):
    # A form that claims version 3 of a report with no saved version (forged, or from another
    # database): answered 500 before; now the page says to reload, and no report row is left behind.
    from tracker.store.models import Report

    mine = assignment_of("安康市乡村振兴局")
    url = f"/unit/assignments/{mine.id}/reports/2024-04"
    data = {"csrf_token": csrf_token(clerk, url), "percent": "30", "narrative": "推进中", "expected": "3"}
    response = clerk.post(url, data={**data, "save": "提交"})
    assert response.status_code == 400
    assert "版本号与记录不符" in response.get_data(as_text=True)
    assert not Report.select().where(Report.assignment == mine.id, Report.period == "2024-04").exists()


def test_a_far_date_in_a_form_is_a_form_error(clerk):
    mine = assignment_of("安康市乡村振兴局")
    page = f"/unit/assignments/{mine.id}/extensions"
    token = csrf_token(clerk, f"/unit/assignments/{mine.id}/reports/2024-05")
    response = clerk.post(page, data={"csrf_token": token, "new_date": "0001-01-01", "reason": "理由"})
    assert response.status_code < 500


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    percent=st.text(max_size=20),
    narrative=st.text(max_size=200),
    summary=st.text(max_size=50),
    expected=st.text(max_size=12),
)
def test_fuzzed_report_posts_never_answer_5xx(clerk, percent, narrative, summary, expected):
    mine = assignment_of("安康市乡村振兴局")
    url = f"/unit/assignments/{mine.id}/reports/2024-05"
    token = csrf_token(clerk, url)
    data = {
        "csrf_token": token,
        "percent": percent,
        "narrative": narrative,
        "public_summary": summary,
        "expected": expected,
        "save": "提交",
    }
    assert clerk.post(url, data=data).status_code < 500
