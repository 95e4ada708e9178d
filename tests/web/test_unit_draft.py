"""Report drafts (草稿): what a clerk typed survives the session ending, and goes once submitted."""

from __future__ import annotations

import pytest

from tests.web.conftest import submit, web_sign_in
from tests.web.test_unit_report import assignment_of, report_url
from tracker.store.models import ReportDraft, ReportRevision


@pytest.fixture(autouse=True)
def may_2024(monkeypatch, database_url):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")


@pytest.fixture
def mine(people):
    return assignment_of("安康市乡村振兴局")


def autosave(web, a, fields: dict):
    """What static/report-draft.js posts: the form's own fields (token included) as typed."""
    page = web.get(report_url(a))
    form = page.forms[[k for k, f in page.forms.items() if f.action == report_url(a)][0]]
    for name, value in fields.items():
        form[name] = value
    body = [(n, v) for n, v in form.submit_fields() if n not in ("preview", "save")]
    return web.post(page.html.find("form", attrs={"data-draft-url": True})["data-draft-url"], body)


def test_typed_text_comes_back_after_signing_in_again_and_goes_once_submitted(web_as, mine):
    web = web_as("clerk")
    assert autosave(web, mine, {"narrative": "已完成 3 个村的排查,还差 2 个", "percent": "35"}).json[
        "saved_at"
    ]
    submit(web.get("/unit/"), "/logout")  # the session ends before 提交
    assert "/login" in web.get(report_url(mine), status=302).location

    web_sign_in(web, "clerk")
    page = web.get(report_url(mine))
    assert "已恢复未提交的草稿" in page.text
    assert page.html.find("textarea", id="narrative").text.strip() == "已完成 3 个村的排查,还差 2 个"
    assert page.html.find("input", id="percent")["value"] == "35"

    done = submit(
        page, report_url(mine), {"narrative": "已完成 5 个村的排查", "percent": "50"}, button="save"
    )
    assert done.status_int == 302
    assert ReportRevision.get().narrative == "已完成 5 个村的排查"
    again = web.get(report_url(mine))
    assert "已恢复未提交的草稿" not in again.text
    assert ReportDraft.select().count() == 0


def test_a_save_that_fails_keeps_the_text_as_a_draft(web_as, mine):
    web = web_as("clerk")
    page = web.get(report_url(mine))
    failed = submit(
        page,
        report_url(mine),
        {"narrative": "写了很久的一段进展", "percent": "150"},
        button="save",
        status=400,
    )
    assert "写了很久的一段进展" in failed.text
    assert ReportRevision.select().count() == 0
    # The clerk wanders off; when they come back the text is there.
    assert "写了很久的一段进展" in web_as("clerk").get(report_url(mine)).text


def test_a_draft_is_the_persons_own(web_as, people, mine):
    autosave(web_as("clerk"), mine, {"narrative": "只有我能看到的草稿"})
    page = web_as("boss").get(report_url(mine))
    assert "只有我能看到的草稿" not in page.text and "已恢复未提交的草稿" not in page.text
