"""Converting a notice in the app: upload, read it beside its draft, correct, check, load; admins only."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

import pytest
from docx import Document

from tests.web.conftest import csrf_token
from tracker.services import notices
from tracker.services.plans import plan_summaries
from tracker.store.models import AuditEvent, Measure, Plan, Unit

TITLE = "汉滨区2024年农村人居环境整治任务分工"
PARAGRAPHS = [
    TITLE,
    "一、重点任务",
    "(一)改善农村道路。完成通村道路硬化20公里。(牵头单位:安康市乡村振兴局;责任单位:安康市汉滨区)"
    "完成时限:2024年10月31日",
    "(二)建设村级活动场所。新建村级活动场所3处。完成时限:2024年12月底前",
]
NEW_UNIT = "汉滨区住房和城乡建设局"


def word_notice(paragraphs: list[str] = PARAGRAPHS) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def admin_client(signed_in):
    return signed_in("admin")


@pytest.fixture
def uploads(app) -> Path:
    return Path(app.config["UPLOAD_DIR"]) / "notices"


def token(client) -> str:
    return csrf_token(client, "/admin/notices/")


def upload(client, data: bytes, name: str = "hanbin-2024.docx"):
    return client.post(
        "/admin/notices/",
        data={"csrf_token": token(client), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def uploaded(client, data: bytes = b"", name: str = "hanbin-2024.docx") -> str:
    """Upload a notice; returns the URL of its page."""
    response = upload(client, data or word_notice(), name)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def draft_on(page: str) -> str:
    match = re.search(r"<textarea[^>]*>\r?\n?(.*?)</textarea>", page, re.S)  # WTForms opens with a newline
    assert match, page
    return unescape(match.group(1))


def digest_on(page: str, field: str) -> str:
    match = re.search(rf'name="{field}" type="hidden" value="([0-9a-f]+)"', page) or re.search(
        rf'type="hidden" name="{field}" value="([0-9a-f]+)"', page
    )
    assert match, f"no {field} on the page"
    return match.group(1)


def save(client, url: str, text: str, check: bool = True, base: str | None = None):
    data = {"csrf_token": token(client), "text": text, ("check" if check else "save"): "1"}
    if base:
        data["base"] = base
    return client.post(url, data=data)


def corrected(draft: str) -> str:
    """What a clerk types: the new unit in `units:`, and it as the lead of the item that had none."""
    head, item = draft.split('code: "1.2"')
    item = item.replace("lead: []", "lead: [区住建局]", 1)
    head = head.replace("sections:", f"units:\n  - {{name: {NEW_UNIT}, short: 区住建局}}\nsections:", 1)
    return head + 'code: "1.2"' + item


def test_an_uploaded_word_notice_shows_its_measures_beside_the_source_with_the_item_without_units_marked(
    admin_client, uploads
):
    url = uploaded(admin_client)
    page = admin_client.get(url).get_data(as_text=True)

    # Left: the paragraphs as the converter read them, with their locations; the unassigned item marked.
    assert "第3段" in page and "完成通村道路硬化20公里" in page
    marked = re.search(r'<div class="blk flag" id="src-3">.*?</div>', page, re.S)
    assert marked and "建设村级活动场所" in marked.group(0) and "需核对" in marked.group(0)
    # The notes name the location and link to it.
    assert '<a href="#src-3">第4段</a>' in page and "未列明牵头或责任单位" in page
    # Right: the draft in a textarea and the readable table of measures, the item without units flagged.
    draft = draft_on(page)
    assert 'code: "hanbin-2024"' in draft and "lead: [安康市乡村振兴局]" in draft
    rows = re.findall(r'<tr class="measure( flag)?">(.*?)</tr>', page, re.S)
    assert [("改善农村道路" in r, bool(flag)) for flag, r in rows] == [(True, False), (False, True)]
    assert "共 2 项,其中 1 项需核对" in page
    # Stored outside the web root under a server-made name; the admin's own name is only shown.
    token_part = url.rsplit("/", 1)[-1]
    assert sorted(p.name for p in uploads.iterdir()) == sorted(
        f"{token_part}{s}" for s in (".docx", ".json", ".blocks.json", ".yaml")
    )
    assert AuditEvent.select().where(AuditEvent.action == "notice.upload").get().actor == "admin"


def test_a_corrected_draft_is_checked_then_loaded_with_the_same_loader_as_the_cli(admin_client):
    url = uploaded(admin_client)
    page = admin_client.get(url).get_data(as_text=True)
    text = corrected(draft_on(page))

    response = save(admin_client, url, text, base=digest_on(page, "base"))
    assert response.status_code == 302 and "check=1" in response.headers["Location"]
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "加载后将发生的变动" in page and "无法识别的单位名称" not in page
    assert re.search(r'data-label="内容">措施</td><td data-label="新增">2</td>', page)
    assert "共 2 项" in page and "其中" not in page  # the corrected item is no longer flagged
    assert Plan.get_or_none(Plan.code == "hanbin-2024") is None  # a dry run writes nothing

    response = admin_client.post(
        f"{url}/load", data={"csrf_token": token(admin_client), "checked": digest_on(page, "checked")}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已加载方案 hanbin-2024" in page and "已由 admin" in page

    (summary,) = [p for p in plan_summaries() if p.code == "hanbin-2024"]
    assert (summary.sections, summary.measures, summary.units, summary.assignments) == (1, 2, 3, 3)
    assert "措施 2(已归档 0),单位 3,分工 3" in page
    lead = Measure.get(Measure.code == "1.2", Measure.plan == Plan.get(Plan.code == "hanbin-2024"))
    assert [a.unit.name for a in lead.assignments] == [NEW_UNIT]
    assert Unit.get(Unit.name == NEW_UNIT).short == "区住建局"
    created = AuditEvent.select().where(AuditEvent.action == "plan.create").order_by(AuditEvent.seq.desc())
    assert created.first().actor == "admin" and created.first().entity_id == str(lead.plan_id)


def test_a_notice_naming_an_unknown_unit_is_refused_at_load_listing_the_name_and_keeps_the_draft(
    admin_client,
):
    notice = [*PARAGRAPHS[:3], "(二)整治河道。清理河道垃圾。(牵头单位:汉滨区河长办)完成时限:2024年6月底前"]
    url = uploaded(admin_client, word_notice(notice))
    draft = draft_on(admin_client.get(url).get_data(as_text=True))
    before = (Plan.select().count(), Unit.select().count(), AuditEvent.select().count())

    response = admin_client.post(f"{url}/load", data={"csrf_token": token(admin_client)})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "方案未能加载,数据库未作任何改动,草稿已保留" in page
    assert re.search(r'<ul class="unresolved"><li>汉滨区河长办</li></ul>', page)
    assert (Plan.select().count(), Unit.select().count(), AuditEvent.select().count()) == before
    assert draft_on(page) == draft and draft_on(admin_client.get(url).get_data(as_text=True)) == draft
    # The measure that names it is marked in the table, and no load button is offered.
    assert re.search(r'<tr class="measure flag">.*?整治河道.*?无法识别', page, re.S)
    assert "确认加载" not in page

    checked = admin_client.get(f"{url}?check=1").get_data(as_text=True)
    assert "汉滨区河长办" in checked and "确认加载" not in checked


@pytest.mark.parametrize("username", ["clerk", "inspector"])
def test_reporters_and_inspectors_are_refused_every_notice_page(app, client, signed_in, username):
    staged = notices.stage_notice(app.config["UPLOAD_DIR"], word_notice(), "hanbin-2024.docx", "admin")
    signed_in(username)
    form = {"csrf_token": csrf_token(client, "/")}
    base = f"/admin/notices/{staged.token}"
    assert client.get("/admin/notices/").status_code == 403
    assert client.get(base).status_code == 403
    assert client.get(f"{base}/draft.yaml").status_code == 403
    for path in ("/admin/notices/", base, f"{base}/load", f"{base}/discard"):
        assert client.post(path, data=form).status_code == 403, path
    assert "通知转换" not in client.get("/").get_data(as_text=True)
    assert Plan.get_or_none(Plan.code == "hanbin-2024") is None
    assert notices.get_notice(app.config["UPLOAD_DIR"], staged.token).draft() == staged.draft()


def test_an_admin_finds_the_page_from_the_menu(admin_client):
    home = admin_client.get("/").get_data(as_text=True)
    assert 'href="/admin/notices/"' in home and "通知转换" in home
    assert admin_client.get("/admin/notices/").status_code == 200


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("notice.docx", "内容不是 Office 文件"),
        ("notice.txt", "不是文本文件"),
        ("notice.xlsx", "内容不是 Office"),
    ],
)
def test_a_program_renamed_as_a_notice_is_refused_by_its_content_and_not_stored(
    admin_client, uploads, name, why
):
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 8
    response = upload(admin_client, program, name)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "未能转换,文件未保存" in page and why in page
    assert not uploads.exists() or not any(uploads.iterdir())


def test_a_program_keeping_its_own_extension_is_refused_by_the_form(admin_client, uploads):
    response = upload(admin_client, b"MZ\x90\x00", "notice.exe")
    assert response.status_code == 400
    assert "只接受 .docx、.xlsx、.doc" in response.get_data(as_text=True)
    assert not uploads.exists() or not any(uploads.iterdir())


def test_every_notice_form_is_refused_without_its_csrf_token(admin_client, uploads):
    url = uploaded(admin_client)
    draft = draft_on(admin_client.get(url).get_data(as_text=True))
    stored = sorted(uploads.iterdir())
    attempts = {
        "/admin/notices/": {"file": (io.BytesIO(word_notice()), "again.docx")},
        url: {"text": "plan: {}\n", "save": "1"},
        f"{url}/load": {},
        f"{url}/discard": {},
    }
    for path, data in attempts.items():
        response = admin_client.post(path, data=data, content_type="multipart/form-data")
        assert response.status_code == 400, path
    assert sorted(uploads.iterdir()) == stored
    assert draft_on(admin_client.get(url).get_data(as_text=True)) == draft
    assert Plan.get_or_none(Plan.code == "hanbin-2024") is None


def test_a_draft_that_is_not_yaml_is_kept_and_the_check_names_its_line(admin_client):
    url = uploaded(admin_client)
    broken = draft_on(admin_client.get(url).get_data(as_text=True)).replace("sections:", "sections: [", 1)
    response = save(admin_client, url, broken)
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert draft_on(page) == broken  # kept exactly as typed, so nothing is lost
    assert "草稿暂不能加载" in page and "YAML 格式错误" in page
    assert re.search(r'data-label="草稿行">\d+</td>', page)


def test_a_draft_saved_by_someone_else_meanwhile_is_not_overwritten(admin_client):
    url = uploaded(admin_client)
    page = admin_client.get(url).get_data(as_text=True)
    base, draft = digest_on(page, "base"), draft_on(page)
    first = draft.replace("改善农村道路", "改善农村公路", 1)
    assert save(admin_client, url, first, check=False, base=base).status_code == 302

    second = draft.replace("建设村级活动场所", "新建村级活动场所", 1)
    response = save(admin_client, url, second, check=False, base=base)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "草稿已被他人修改并保存" in page and draft_on(page) == second  # still in the form
    assert draft_on(admin_client.get(url).get_data(as_text=True)) == first


def test_a_draft_changed_after_its_check_is_not_loaded(admin_client):
    url = uploaded(admin_client)
    text = corrected(draft_on(admin_client.get(url).get_data(as_text=True)))
    page = admin_client.get(save(admin_client, url, text).headers["Location"]).get_data(as_text=True)
    checked = digest_on(page, "checked")
    save(admin_client, url, text.replace("改善农村道路", "改善农村公路", 1), check=False)

    response = admin_client.post(f"{url}/load", data={"csrf_token": token(admin_client), "checked": checked})
    assert response.status_code == 302 and "check=1" in response.headers["Location"]
    assert Plan.get_or_none(Plan.code == "hanbin-2024") is None


def test_the_draft_downloads_as_a_plan_file(admin_client):
    url = uploaded(admin_client)
    response = admin_client.get(f"{url}/draft.yaml")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True) == draft_on(admin_client.get(url).get_data(as_text=True))


def test_a_discarded_notice_is_gone_and_an_unknown_one_is_not_found(admin_client, uploads):
    url = uploaded(admin_client)
    response = admin_client.post(f"{url}/discard", data={"csrf_token": token(admin_client)})
    assert response.status_code == 302
    assert not any(uploads.iterdir())
    assert admin_client.get(url).status_code == 404
    assert admin_client.get("/admin/notices/../../etc").status_code == 404
    assert admin_client.get("/admin/notices/" + "0" * 32).status_code == 404
    assert AuditEvent.select().where(AuditEvent.action == "notice.discard").get().actor == "admin"
