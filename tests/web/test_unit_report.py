"""The unit's pages: its home, the report form with preview, revisions, returns and sign-off."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import csrf_token, sign_in, submit
from tracker.store.db import write_transaction
from tracker.store.models import Assignment, AuditEvent, Indicator, Measure, Plan, ReportRevision, Unit


def assignment_of(unit: str, measure: str = "2.2.2") -> Assignment:
    return (
        Assignment.select()
        .join(Measure)
        .join(Plan)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(Plan.code == "ankang-2023", Measure.code == measure, Unit.name == unit)
        .get()
    )


@pytest.fixture(autouse=True)
def may_2024(monkeypatch, database_url):
    # after database_url, which clears TRACKER_NOW
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")


@pytest.fixture
def mine(people):
    return assignment_of("安康市乡村振兴局")


def report_url(a, period="2024-05"):
    return f"/unit/assignments/{a.id}/reports/{period}"


def post_report(client, a, expected=0, token=None, **fields):
    data = {
        "percent": "40",
        "narrative": "召开推进会 2 次",
        "expected": str(expected),
        "save": "提交",
        "csrf_token": token or csrf_token(client, report_url(a)),
    }
    data.update(fields)
    return client.post(report_url(a), data=data)


def test_a_clerk_lands_on_the_unit_home_with_every_assignment_of_the_unit(client, people, mine):
    response = sign_in(client, "clerk")
    assert response.headers["Location"].endswith("/unit/")
    page = client.get("/unit/").get_data(as_text=True)
    assert "安康市乡村振兴局" in page and "2.2.2" in page
    count = Assignment.select().where(Assignment.unit == mine.unit_id).count()
    assert page.count('data-label="编号"') == count
    assert "本单位工作台" in page


def test_saving_twice_makes_two_revisions_and_keeps_the_first(client, signed_in, mine):
    signed_in("clerk")
    assert post_report(client, mine, narrative="第一稿").status_code == 302
    assert post_report(client, mine, expected=1, percent="50", narrative="第二稿").status_code == 302
    revisions = list(ReportRevision.select().order_by(ReportRevision.number))
    assert [(r.number, r.percent, r.narrative) for r in revisions] == [(1, 40, "第一稿"), (2, 50, "第二稿")]
    page = client.get(report_url(mine)).get_data(as_text=True)
    assert "第 2 版" in page and "第 1 版" in page and "第一稿" in page


def test_the_second_editor_is_told_and_keeps_their_text(app, people, mine):
    first, second = app.test_client(), app.test_client()
    sign_in(first, "clerk")
    sign_in(second, "boss")
    token_first = csrf_token(first, report_url(mine))
    token_second = csrf_token(second, report_url(mine))  # both opened the form at revision 0
    assert post_report(first, mine, token=token_first, narrative="甲写的进展").status_code == 302
    response = post_report(second, mine, token=token_second, narrative="乙写的进展,很长很重要")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "已于" in page and "保存了第 1 版" in page and "您的内容尚未保存" in page
    assert "乙写的进展,很长很重要" in page  # their text is kept in the form
    assert "甲写的进展" in page  # and the newer revision is shown next to it
    assert re.search(r'name="expected" type="hidden" value="1"', page)
    assert ReportRevision.select().count() == 1


def test_a_wrong_percent_is_shown_next_to_the_field_and_nothing_is_saved(client, signed_in, mine):
    signed_in("clerk")
    response = post_report(client, mine, percent="150")
    assert response.status_code == 400
    assert "完成进度应为 0–100 的整数" in response.get_data(as_text=True)
    assert ReportRevision.select().count() == 0


def test_an_indicator_past_its_target_needs_a_note(client, signed_in, mine):
    signed_in("clerk")
    indicator = Indicator.get(Indicator.measure == mine.measure_id)
    response = post_report(client, mine, **{f"ind_{indicator.id}": "300"})
    assert response.status_code == 400
    assert "请在说明中注明原因" in response.get_data(as_text=True)
    ok = post_report(client, mine, **{f"ind_{indicator.id}": "300", f"note_{indicator.id}": "新纳入监测对象"})
    assert ok.status_code == 302
    assert ReportRevision.get().indicator_values == {indicator.code: "300"}


def test_a_plausibility_warning_is_shown_but_the_report_is_saved(client, signed_in, mine):
    signed_in("clerk")
    indicator = Indicator.get(Indicator.measure == mine.measure_id)
    response = post_report(client, mine, **{f"ind_{indicator.id}": "200"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "请核对" in page and "超过目标值" in page
    assert ReportRevision.select().count() == 1


def test_preview_renders_the_markdown_without_saving(client, signed_in, mine):
    signed_in("clerk")
    response = post_report(client, mine, narrative="**重点** 村 12 个", save="", preview="预览")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "预览(尚未保存)" in page and "<strong>重点</strong>" in page
    assert ReportRevision.select().count() == 0


MALICIOUS = (
    "<script>alert('x')</script>\n\n"
    "<img src=x onerror=alert(1)>\n\n"
    "[点此查看](javascript:alert(1))\n\n"
    '<a href="javascript:alert(2)" onclick="alert(3)">链接</a>'
)


def test_markdown_with_script_handlers_and_javascript_links_renders_inert(client, signed_in, mine):
    signed_in("clerk")
    assert post_report(client, mine, narrative=MALICIOUS).status_code == 302
    page = client.get(report_url(mine)).get_data(as_text=True)
    rendered = page.split("本期报送记录", 1)[1]
    assert "<script" not in rendered.lower()
    assert "onerror" not in rendered and "onclick" not in rendered
    assert 'href="javascript' not in rendered.lower()
    preview = post_report(client, mine, expected=1, narrative=MALICIOUS, save="", preview="预览").get_data(
        as_text=True
    )
    shown = preview.split("预览(尚未保存)", 1)[1].split("<form", 1)[0]
    assert (
        "<script" not in shown.lower() and "onerror" not in shown and 'href="javascript' not in shown.lower()
    )


def test_a_returned_revision_shows_its_reason_on_the_units_home(app, people, mine):
    clerk, office = app.test_client(), app.test_client()
    sign_in(clerk, "clerk")
    sign_in(office, "inspector")
    post_report(clerk, mine)
    revision = ReportRevision.get()
    page = office.get(report_url(mine)).get_data(as_text=True)
    assert "退回第 1 版" in page
    response = office.post(
        f"/unit/revisions/{revision.id}/return",
        data={"reason": "请补充具体到村的数据。", "csrf_token": csrf_token(office, report_url(mine))},
    )
    assert response.status_code == 302
    home = clerk.get("/unit/").get_data(as_text=True)
    assert "被退回待修改的报送" in home and "请补充具体到村的数据。" in home
    assert (
        AuditEvent.select()
        .where(AuditEvent.action == "report.return", AuditEvent.actor == "inspector")
        .count()
        == 1
    )


def test_a_unit_person_cannot_return_a_revision(client, signed_in, mine):
    signed_in("clerk")
    post_report(client, mine)
    revision = ReportRevision.get()
    response = client.post(
        f"/unit/revisions/{revision.id}/return",
        data={"reason": "自己退回", "csrf_token": csrf_token(client, report_url(mine))},
    )
    assert response.status_code == 403


def test_where_sign_off_is_required_the_leader_signs_before_it_counts(app, people, mine):
    with write_transaction():
        Plan.update(signoff=True).where(Plan.code == "ankang-2023").execute()
    clerk, boss = app.test_client(), app.test_client()
    sign_in(clerk, "clerk")
    sign_in(boss, "boss")
    post_report(clerk, mine)
    assert "签发第 1 版" not in clerk.get(report_url(mine)).get_data(as_text=True)
    home = boss.get("/unit/").get_data(as_text=True)
    assert "待负责人签发" in home
    row = home.split(">2.2.2<", 1)[1].split("</tr>", 1)[0]
    assert "未到期" in row and "待签发" in row
    revision = ReportRevision.get()
    assert (
        clerk.post(
            f"/unit/revisions/{revision.id}/signoff", data={"csrf_token": csrf_token(clerk, report_url(mine))}
        ).status_code
        == 403
    )
    page = boss.get(report_url(mine)).get_data(as_text=True)
    assert "签发第 1 版" in page
    signed = boss.post(
        f"/unit/revisions/{revision.id}/signoff", data={"csrf_token": csrf_token(boss, report_url(mine))}
    )
    assert signed.status_code == 302
    row = boss.get("/unit/").get_data(as_text=True).split(">2.2.2<", 1)[1].split("</tr>", 1)[0]
    assert "按时报送" in row
    assert "boss 于 2024年5月20日 10:00 签发" in boss.get(report_url(mine)).get_data(as_text=True)


def test_an_extension_request_is_filed_and_listed(client, signed_in, mine):
    signed_in("clerk")
    url = f"/unit/assignments/{mine.id}/extension"
    response = client.post(
        url,
        data={"new_date": "2026-06-30", "reason": "受汛期影响需顺延", "csrf_token": csrf_token(client, url)},
    )
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "2026年6月30日" in page and "待审核" in page and "受汛期影响需顺延" in page
    early = client.post(
        url, data={"new_date": "2025-01-01", "reason": "x", "csrf_token": csrf_token(client, url)}
    )
    assert early.status_code == 400


def test_the_assignment_history_lists_every_revision_with_author_and_time(client, signed_in, mine):
    signed_in("clerk")
    post_report(client, mine)
    page = client.get(f"/unit/assignments/{mine.id}/").get_data(as_text=True)
    assert "第 1 版" in page and "2024年5月20日 10:00" in page and "clerk" in page


def test_a_period_in_the_future_or_malformed_is_not_found(client, signed_in, mine):
    signed_in("clerk")
    assert client.get(report_url(mine, "2024-07")).status_code == 404
    assert client.get(report_url(mine, "latest")).status_code == 404


def test_the_leader_reads_a_report_but_has_no_form(client, signed_in, mine):
    signed_in("leader")
    page = client.get(report_url(mine))
    assert page.status_code == 200
    assert 'name="percent"' not in page.get_data(as_text=True)
    assert client.get("/unit/").status_code == 403


def test_after_the_due_day_an_unsigned_report_waits_for_the_leader_not_counted_as_missing(
    app, people, mine, web_as, monkeypatch
):
    with write_transaction():
        Plan.update(signoff=True).where(Plan.code == "ankang-2023").execute()
    clerk = web_as("clerk")
    page = clerk.get(report_url(mine))
    submit(page, report_url(mine), {"percent": "40", "narrative": "完成选址。"}, button="save")
    monkeypatch.setenv("TRACKER_NOW", "2024-06-12T10:00:00+08:00")  # May's report is now due
    boss = web_as("boss")
    home = boss.get("/unit/")
    header = home.html.find("header").text
    assert "待签发 1" in " ".join(header.split())
    waiting = home.html.find(id="h-sign").parent.text
    assert "待签发(1)" in waiting and "2.2.2" in waiting and "2024-05" in waiting
    missing = home.html.find(id="h-missing")
    assert missing is None or "2.2.2 " not in missing.parent.text
    assert "待签发" not in " ".join(web_as("clerk").get("/unit/").html.find("header").text.split())
