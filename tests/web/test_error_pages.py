"""Error pages a person meets: in the app's layout, in Chinese, with a way back; and a report form that
says in Chinese what is wrong with a number or a text that is too long, keeping what was typed."""

from __future__ import annotations

import pytest

from tests.web.conftest import submit
from tracker.services.reports import TEXT_LIMIT
from tracker.store.models import Assignment, Measure, Plan, ReportRevision, Unit
from tracker.web import create_app
from tracker.web.access import PUBLIC, allow


def layout_and_way_back(page) -> str:
    assert page.html.find(class_="brand") is not None  # the app's header, not a bare Werkzeug page
    assert page.html.find("a", string="回到首页") is not None
    return page.html.find("main").text


def test_not_found_forbidden_and_a_missing_token_answer_in_chinese_in_the_layout(web_as, app):
    clerk = web_as("clerk")
    missing = clerk.get("/office/no-such-page", status=404)
    assert "未找到" in layout_and_way_back(missing) and "Not Found" not in missing.text
    forbidden = clerk.get("/office/", status=403, headers={"Referer": "http://localhost/unit/"})
    text = layout_and_way_back(forbidden)
    assert "无权访问" in text and "Forbidden" not in forbidden.text
    assert forbidden.html.find("a", string="返回上一页")["href"] == "/unit/"
    no_token = clerk.post("/unit/extension-nowhere", status=(400, 404))
    assert "Bad Request" not in no_token.text
    refused = clerk.post("/logout", status=400)
    assert "页面已过期" in layout_and_way_back(refused) and "CSRF" not in refused.text


def test_a_server_error_is_a_chinese_page_not_a_traceback(database, database_url, tmp_path):
    app = create_app(
        {"TESTING": False, "DATABASE_URL": database_url, "SECRET_KEY": "t", "SITES_DIR": str(tmp_path)}
    )

    @allow(PUBLIC)
    def boom():
        raise RuntimeError("kaput")

    app.add_url_rule("/boom", "boom", boom)
    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "系统出错" in page and "kaput" not in page


@pytest.fixture
def mine(people):
    unit = Unit.get(Unit.name == "安康市乡村振兴局")
    return (
        Assignment.select()
        .join(Measure)
        .join(Plan)
        .where(Plan.code == "ankang-2023", Measure.code == "2.2.2", Assignment.unit == unit.id)
        .get()
    )


def test_a_decimal_progress_and_an_overlong_narrative_are_refused_in_chinese_keeping_the_text(
    web_as, mine, monkeypatch
):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")
    clerk = web_as("clerk")
    url = f"/unit/assignments/{mine.id}/reports/2024-05"
    page = clerk.get(url)
    long_text = "进" * (TEXT_LIMIT + 12)
    refused = submit(page, url, {"percent": "55.5", "narrative": long_text}, button="save", status=400)
    summary = refused.html.find(class_="error-summary")
    assert summary is not None and summary.has_attr("autofocus")
    assert "不是有效的整数" in summary.text and "Not a valid" not in refused.text
    assert f"最多 {TEXT_LIMIT} 字，现有 {TEXT_LIMIT + 12} 字，请删减 12 字" in summary.text
    narrative = refused.html.find(id="narrative")
    assert narrative["aria-invalid"] == "true" and narrative["aria-describedby"] == "narrative-error"
    assert narrative.text.strip() == long_text  # nothing cut, nothing lost
    assert ReportRevision.select().count() == 0
