"""The review table of a converted notice, submitted as served (WebTest): edits write the draft (the plan
file), a deadline is read again, an unreadable one changes nothing, and a draft with a measure without a
lead or like a loaded plan asks for confirmation before loading."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from docx import Document

from tests.web.conftest import served_form, submit
from tracker.services.notices import get_notice
from tracker.store.models import AuditEvent, Measure, Plan

TITLE = "汉滨区2024年农村人居环境整治任务分工"
PARAGRAPHS = [
    TITLE,
    "某政办发〔2024〕7号",
    "一、重点任务",
    "(一)改善农村道路。完成通村道路硬化20公里。(牵头单位:安康市乡村振兴局;责任单位:安康市汉滨区)完成时限:2024年10月31日",
    "(二)建设村级活动场所。新建村级活动场所3处。完成时限:2024年12月底前",
]


def notice_bytes() -> bytes:
    document = Document()
    for text in PARAGRAPHS:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def admin(web_as):
    return web_as("admin")


def staged(admin, name: str = "hanbin-2024.docx") -> tuple[str, object]:
    """Upload the notice; returns the path of its page and the page."""
    page = admin.get("/admin/notices/")
    response = submit(page, "/admin/notices/", {"file": (name, notice_bytes())})
    assert response.status_int == 302, response.text
    path = urlsplit(response.headers["Location"]).path
    return path, response.follow()


def draft(app, path: str) -> str:
    return get_notice(app.config["UPLOAD_DIR"], path.rstrip("/").rsplit("/", 1)[-1]).draft()


def test_the_review_table_edits_units_and_the_deadline_into_the_draft(admin, app):
    path, page = staged(admin)
    assert "2 项措施：1 项完整，1 项缺牵头单位" in page.text
    form = served_form(page, f"{path}/review")
    assert form["r1-code"].value == "1.2" and form["r1-lead"].value == ""
    form["r1-lead"] = "安康市乡村振兴局"
    form["r1-responsible"] = "安康市汉滨区"
    form["r1-deadline_text"] = "2024年11月底前"
    checked = form.submit().follow()
    text = draft(app, path)
    assert "lead: [安康市乡村振兴局]" in text and "responsible: [安康市汉滨区]" in text
    assert "deadline: 2024-11-30" in text and "deadline_text: 2024年11月底前" in text
    assert "加载后将发生的变动" in checked.text  # every unit resolves now: the check passes
    assert AuditEvent.select().where(AuditEvent.action == "notice.review").count() == 1


def test_an_unreadable_deadline_in_the_table_changes_nothing_and_says_which_measure(admin, app):
    path, page = staged(admin)
    before = draft(app, path)
    form = served_form(page, f"{path}/review")
    form["r0-deadline_text"] = "某个时候"
    form["r1-lead"] = "安康市乡村振兴局"
    after = form.submit().follow()
    assert "未保存" in after.text and "措施 1.1" in after.text
    assert draft(app, path) == before


def test_a_measure_without_a_lead_is_loaded_only_after_the_admin_confirms(admin):
    path, _ = staged(admin)
    checked = admin.get(f"{path}?check=1")
    assert "1 项措施没有牵头单位(1.2)" in checked.text
    refused = served_form(checked, f"{path}/load").submit().follow()
    assert "尚未加载" in refused.text and Plan.select().where(Plan.code == "hanbin-2024").count() == 0
    loaded = submit(checked, f"{path}/load", {"confirm": True}).follow()
    assert "已加载方案 hanbin-2024" in loaded.text
    assert Measure.select().join(Plan).where(Plan.code == "hanbin-2024").count() == 2


def test_the_same_notice_uploaded_again_under_another_name_asks_before_loading_a_second_plan(admin):
    path, page = staged(admin)
    form = served_form(page, f"{path}/review")
    form["r1-lead"] = "安康市乡村振兴局"
    checked = form.submit().follow()
    assert "加载前请确认" not in checked.text
    assert "已加载方案 hanbin-2024" in served_form(checked, f"{path}/load").submit().follow().text

    again, page = staged(admin, "通知.docx")
    form = served_form(page, f"{again}/review")
    form["r1-lead"] = "安康市乡村振兴局"
    checked = form.submit().follow()
    assert "已加载的方案 hanbin-2024" in checked.text and "文号相同(某政办发〔2024〕7号)" in checked.text
    plans = Plan.select().count()
    refused = served_form(checked, f"{again}/load").submit().follow()
    assert "尚未加载" in refused.text and Plan.select().count() == plans


def test_a_notice_naming_leaders_keeps_them_as_people_and_still_loads(admin, app):
    document = Document()
    document.add_paragraph("汉滨区2024年重点工作任务分解表")
    rows = [
        ["序号", "工作任务", "责任领导", "牵头单位", "责任单位", "完成时限"],
        ["1", "完成通村道路硬化20公里。", "张某某", "安康市乡村振兴局", "安康市汉滨区", "2024年10月底前"],
    ]
    table = document.add_table(rows=2, cols=6)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    out = io.BytesIO()
    document.save(out)
    page = admin.get("/admin/notices/")
    response = submit(page, "/admin/notices/", {"file": ("zhongdian-2024.docx", out.getvalue())})
    path = urlsplit(response.headers["Location"]).path
    assert "leaders: [张某某]" in draft(app, path)
    checked = admin.get(f"{path}?check=1")
    assert "加载后将发生的变动" in checked.text and "未知字段" not in checked.text
    loaded = served_form(checked, f"{path}/load").submit().follow()
    assert "已加载方案 zhongdian-2024" in loaded.text
    measure = Measure.select().join(Plan).where(Plan.code == "zhongdian-2024").get()
    assert [a.unit.name for a in measure.assignments] == ["安康市乡村振兴局", "安康市汉滨区"]
