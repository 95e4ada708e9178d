"""The office's 计分办法 page: a plan's weights and red penalty, saved through the served form, audited,
and used by the next bulletin."""

from __future__ import annotations

from decimal import Decimal

from tests.web.conftest import served_form
from tracker.rules.periods import Quarter
from tracker.services.boards import assessment, plan_by_code
from tracker.store.models import AuditEvent


def scoring_form(web):
    return served_form(web.get("/office/scoring?plan=xunyi-2024"), "/office/scoring")


def test_the_office_sets_a_plans_weights_and_the_next_bulletin_uses_them(web_as):
    web = web_as("inspector")
    form = scoring_form(web)
    assert [form[p].value for p in ("on_time", "progress", "findings", "quality", "red_penalty")] == [
        "30",
        "40",
        "20",
        "10",
        "2",
    ]
    form["on_time"], form["progress"], form["red_penalty"] = "40", "30", "3"
    saved = form.submit().follow()
    assert "计分办法已保存" in saved.text
    plan = plan_by_code("xunyi-2024")
    assert plan.scoring == {"on_time": 40, "progress": 30, "findings": 20, "quality": 10, "red_penalty": 3}
    event = AuditEvent.select().where(AuditEvent.action == "plan.scoring").get()
    assert event.actor == "inspector"
    (first, *_) = assessment(plan, Quarter(2024, 2)).scores
    assert first.lines[0].text.startswith("按时报送（权重 40 分")

    form = scoring_form(web)
    form["quality"] = "15"  # 40 + 30 + 20 + 15 = 105
    refused = form.submit().follow()
    assert "四项权重合计应为 100 分，现为 105 分" in refused.text
    assert plan_by_code("xunyi-2024").scoring["quality"] == 10


def test_a_leader_reads_the_weights_without_a_form_to_change_them(web_as):
    page = web_as("leader").get("/office/scoring?plan=xunyi-2024")
    assert "按时报送" in page.text and "保存计分办法" not in page.text
    assert not page.html.select('form[method="post"][action="/office/scoring"]')
    assert Decimal(30) == Decimal(page.html.find(id="on_time").text)
