"""The office's decisions through its pages: extension requests, confirming completion, the bulletin
commentary (with a sanitized preview) and the quarter's quality ratings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.web.conftest import submit
from tracker.clock import TZ
from tracker.services import reports, supervision
from tracker.services.boards import lights_now, plan_by_code
from tracker.services.scoping import Scope
from tracker.store.models import (
    Assignment,
    Bulletin,
    ExtensionRequest,
    Measure,
    Plan,
    QualityRating,
    Unit,
)


@pytest.fixture
def now_is(monkeypatch):
    def _now(text: str):
        monkeypatch.setenv("TRACKER_NOW", f"{text}+08:00")

    return _now


@pytest.fixture
def as_(web_as):
    return web_as


def post(client, path: str, data: dict, **kwargs):
    """A hand-built POST: only for what a served form would never send."""
    return client.post(path, params={"csrf_token": csrf_token_of(client), **data}, **kwargs)


def csrf_token_of(web) -> str:
    return web.get("/").forms[0]["csrf_token"].value


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
def requested(people, now_is):
    """汉滨区 reported June on time for 1.2.1 (due 2024-06-30) and asked on 5 July to finish by 30 September."""
    a = assignment("安康市汉滨区", "1.2.1")
    now_is("2024-06-20T10:00:00")
    # Its one town's plan is drawn up (its share, the derived milestone of 30 June).
    done = {"towns-plan-done": Decimal(1)}
    reports.save_revision(
        Scope.of(people["other"]), a.id, "2024-06", reports.ReportInput(percent=90, indicator_values=done)
    )
    now_is("2024-07-05T10:00:00")
    return reports.request_extension(Scope.of(people["other"]), a.id, date(2024, 9, 30), "规划需省级审批。")


def test_approving_an_extension_on_its_page_moves_the_deadline_and_the_light(as_, requested, now_is):
    now_is("2024-07-08T09:00:00")
    office = as_("inspector")
    listing = office.get("/office/extensions")
    assert "规划需省级审批。" in listing.text and "审核" in listing.text
    page = listing.click(href=f"/office/extensions/{requested.id}$")
    assert "提交审核结果" in page.text and 'value="2024-09-30"' in page.text
    decide = f"/office/extensions/{requested.id}/decide"
    response = submit(page, decide, {"decision": "approve", "new_deadline": "2024-10-15"})
    assert response.status_int == 302 and response.headers["Location"].endswith("/office/extensions")
    decided = ExtensionRequest.get_by_id(requested.id)
    assert (decided.decision, decided.new_deadline) == ("approved", date(2024, 10, 15))
    light = lights_now(plan_by_code("ankang-2023"), datetime(2024, 7, 9, tzinfo=TZ)).assignments[
        decided.assignment_id
    ]
    assert light.rag == "green"
    detail = office.get(f"/office/assignments/{decided.assignment_id}").text
    assert "2024年10月15日" in detail and "已延期" in detail
    # A decided request shows no form any more; a stale POST is refused.
    again = post(office, decide, {"decision": "refuse", "reason": "改主意"})
    assert "不能再改" in again.follow().text


def test_a_refusal_without_a_reason_is_sent_back_and_decides_nothing(as_, requested, now_is):
    now_is("2024-07-08T09:00:00")
    office = as_("inspector")
    page = office.get(f"/office/extensions/{requested.id}")
    response = submit(page, f"/office/extensions/{requested.id}/decide", {"decision": "refuse"})
    assert "请填写不予批准的理由" in response.follow().text
    assert ExtensionRequest.get_by_id(requested.id).decision is None


def test_the_office_confirms_a_reported_completion_and_can_withdraw_it(as_, people, now_is):
    a = assignment("安康市乡村振兴局", "2.2.2")
    now_is("2024-06-20T10:00:00")
    reports.save_revision(
        Scope.of(people["clerk"]), a.id, "2024-06", reports.ReportInput(percent=100, complete=True)
    )
    now_is("2024-06-22T10:00:00")
    office = as_("inspector")
    waiting = office.get("/office/completions?plan=ankang-2023")
    assert "待确认（1）" in waiting.text
    response = submit(waiting, f"/office/assignments/{a.id}/confirm", {"note": "资料齐全。"})
    assert response.headers["Location"].endswith("/office/completions?plan=ankang-2023")
    assert "已确认办结" in response.follow().text
    page = office.get(f"/office/assignments/{a.id}")
    assert "已办结" in page.text and "撤销办结确认" in page.text
    now_is("2024-07-02T10:00:00")
    office = as_("inspector")  # ten days later: a new session
    page = office.get(f"/office/assignments/{a.id}")
    reopened = submit(page, f"/office/assignments/{a.id}/reopen", {"note": "抽查发现尚未完成。"}).follow()
    assert "已撤销办结确认" in reopened.text and "确认办结" in reopened.text
    assert (
        lights_now(plan_by_code("ankang-2023"), datetime(2024, 7, 3, tzinfo=TZ)).assignments[a.id].rag
        != "done"
    )


def test_the_bulletin_preview_renders_markdown_inert_and_saving_keeps_the_text(as_, people, now_is):
    now_is("2024-07-05T10:00:00")
    office = as_("inspector")
    text = '## 总体情况\n\n**二季度**推进有力。\n\n<script>alert(1)</script>\n\n[点此](javascript:alert(2)) <img src=x onerror="alert(3)">'
    form_page = office.get("/office/bulletins/ankang-2023/2024Q2")
    preview = submit(
        form_page, "/office/bulletins/ankang-2023/2024Q2", {"commentary": text}, button="preview"
    )
    page = preview.text
    shown = page.split('id="h-preview"', 1)[1].split("</section>", 1)[0]
    # The author's "##" sits one level under the preview's h2: no heading level is skipped.
    assert preview.status_int == 200 and "<strong>二季度</strong>" in shown and "<h3>总体情况</h3>" in shown
    assert (
        "<script" not in shown
        and "javascript:" not in shown
        and "onerror" not in shown
        and "<img" not in shown
    )
    assert "&lt;script&gt;" in page.split("<textarea", 1)[1]  # the text itself is kept, escaped, for editing
    assert Bulletin.select().count() == 0
    saved = submit(preview, "/office/bulletins/ankang-2023/2024Q2", button="save")
    assert saved.status_int == 302
    assert Bulletin.get(Bulletin.board == "2024Q2").commentary == text.strip()
    listing = office.get("/office/bulletins?plan=ankang-2023").text
    assert "2024年第二季度季通报" in listing and "2024年6月月通报" in listing
    assert (
        office.get("/office/bulletins/ankang-2023/%E4%BA%8C%E5%AD%A3%E5%BA%A6", status=404).status_int == 404
    )


def test_quality_ratings_are_saved_per_unit_and_checked(as_, people, now_is):
    now_is("2024-07-05T10:00:00")
    office = as_("inspector")
    plan = Plan.get(Plan.code == "ankang-2023")
    clerk_unit = Unit.get(Unit.name == "安康市乡村振兴局").id
    page = office.get("/office/ratings?plan=ankang-2023&quarter=2024Q2")
    bad = submit(page, "/office/ratings", {f"points-{clerk_unit}": "12"}, has=f"points-{clerk_unit}")
    assert "0 到 10" in bad.follow().text
    page = office.get("/office/ratings?plan=ankang-2023&quarter=2024Q2")
    submit(
        page,
        "/office/ratings",
        {f"points-{clerk_unit}": "8.5", f"note-{clerk_unit}": "材料翔实"},
        has=f"points-{clerk_unit}",
    )
    rating = QualityRating.get(QualityRating.plan == plan.id, QualityRating.unit == clerk_unit)
    assert (rating.quarter, rating.points, rating.note) == ("2024Q2", 8.5, "材料翔实")
    leader_view = as_("leader").get("/office/ratings?plan=ankang-2023&quarter=2024Q2").text
    assert "8.5" in leader_view and "材料翔实" in leader_view
    supervision.quality_sheet(plan, "2024Q2")  # still readable after the save


def test_the_office_publishes_a_board_and_republishes_it_with_commentary_written_later(as_, app, now_is):
    from pathlib import Path

    now_is("2024-06-03T10:00:00")
    office = as_("inspector")
    listing = office.get("/office/bulletins?plan=ankang-2023")
    row = listing.html.find(id="board-2024-06")
    assert "截止时间未到" in row.text and not row.find("form")  # June's board cannot go out in June
    now_is("2024-07-20T10:00:00")
    office = as_("inspector")  # weeks later: a new session
    listing = office.get("/office/bulletins?plan=ankang-2023")
    assert "未发布" in listing.html.find(id="board-2024-06").text
    done = submit(listing, "/office/bulletins/ankang-2023/2024-06/publish").follow()
    assert "2024年6月月通报已发布到公开网站" in done.text
    board = Path(app.config["SITES_DIR"]) / "ankang-2023" / "2024-06" / "index.html"
    assert board.is_file() and "督查室点评" not in board.read_text(encoding="utf-8")
    assert "已发布" in done.html.find(id="board-2024-06").text

    # Commentary written after publication: the app says it is not public yet, and republishing puts it out.
    now_is("2024-07-20T10:05:00")
    page = office.get("/office/bulletins/ankang-2023/2024-06")
    saved = submit(
        page, "/office/bulletins/ankang-2023/2024-06", {"commentary": "六月**整体平稳**。"}, button="save"
    )
    saved = saved.follow()
    assert "点评须重新发布才会出现在公开网站上" in saved.text and "尚未公开" in saved.text
    assert saved.forms[[k for k, f in saved.forms.items() if f.action.endswith("/publish")][0]][
        "correct"
    ].checked
    done = submit(saved, "/office/bulletins/ankang-2023/2024-06/publish").follow()
    assert "已按现在的数据和点评更正发布" in done.text and "尚未公开" not in done.text
    assert "<strong>整体平稳</strong>" in board.read_text(encoding="utf-8")

    # Without ticking 更正 a published board that would now differ stays as it was.
    page = office.get("/office/bulletins/ankang-2023/2024-06")
    submit(page, "/office/bulletins/ankang-2023/2024-06", {"commentary": "改过的点评。"}, button="save")
    page = office.get("/office/bulletins/ankang-2023/2024-06")
    kept = submit(page, "/office/bulletins/ankang-2023/2024-06/publish", {"correct": False}).follow()
    assert "公开网站未改动" in kept.text and "改过的点评" not in board.read_text(encoding="utf-8")
