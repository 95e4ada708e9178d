"""The admin pages: people, units and plan files, through the same services as the CLI, all audited."""

from __future__ import annotations

import io
import re

import pytest

from tests.conftest import as_dba
from tests.web.conftest import csrf_token, sign_in
from tracker.store.models import AuditEvent, Plan, Unit, UnitMember, User

SMALL_PLAN = """\
plan:
  code: web-test
  title: 网页上传测试方案
  start: 2024-01-01
  end: 2024-12-31
units:
  - {name: 测试市甲局, short: 甲局}
sections:
  - code: "1"
    title: 第一部分
    measures:
      - {code: "1.1", title: 第一项措施, lead: [甲局], responsible: [汉滨区]}
"""


@pytest.fixture
def admin_client(signed_in):
    return signed_in("admin")


def token(client) -> str:
    return csrf_token(client, "/admin/")


def post(client, path: str, data: dict | None = None, **kwargs):
    return client.post(path, data={"csrf_token": token(client), **(data or {})}, **kwargs)


def last_event(action: str) -> AuditEvent:
    return AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.seq.desc()).first()


def one_time_password(page: str) -> str:
    match = re.search(r'<output id="one-time-password">([^<]+)</output>', page)
    assert match, page
    return match.group(1)


def test_the_admin_pages_open_for_an_admin_and_link_from_the_menu(admin_client):
    home = admin_client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' in home and "系统管理" in home
    for path in (
        "/admin/",
        "/admin/users",
        "/admin/users/new",
        "/admin/units",
        "/admin/plans",
        "/admin/audit",
    ):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert 'name="csrf_token"' in response.get_data(as_text=True)


def test_other_roles_see_no_admin_link_and_are_refused(client, signed_in):
    signed_in("inspector")
    assert "系统管理" not in client.get("/").get_data(as_text=True)
    assert client.get("/admin/users").status_code == 403
    assert last_event("access.refused").actor == "inspector"


def test_a_new_user_gets_a_one_time_password_shown_once(app, admin_client):
    bureau = Unit.get(Unit.name == "安康市汉滨区")
    response = post(
        admin_client,
        "/admin/users/new",
        {"username": "hb-clerk", "display_name": "汉滨区 填报员 刘洋", "role": "reporter", "unit": bureau.id},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = one_time_password(response.get_data(as_text=True))
    user = User.get(User.username == "hb-clerk")
    assert user.unit_id == bureau.id and user.must_change_password
    assert last_event("user.create").actor == "admin"
    assert password not in admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    newcomer = app.test_client()
    assert sign_in(newcomer, "hb-clerk", password).headers["Location"].endswith("/password")


def test_a_clerk_without_a_unit_is_refused_by_the_form(admin_client):
    response = post(admin_client, "/admin/users/new", {"username": "nounit", "role": "reporter", "unit": 0})
    assert response.status_code == 200
    assert "必须选择所在单位" in response.get_data(as_text=True)
    assert not User.select().where(User.username == "nounit").exists()


def test_a_taken_user_name_is_refused_by_the_form(admin_client):
    response = post(admin_client, "/admin/users/new", {"username": "clerk", "role": "inspector", "unit": 0})
    assert "已被使用" in response.get_data(as_text=True)


def test_disabling_signs_the_person_out_everywhere(app, admin_client, people):
    clerk_client = app.test_client()
    sign_in(clerk_client, "clerk")
    assert clerk_client.get("/password").status_code == 200
    response = post(admin_client, f"/admin/users/{people['clerk'].id}/disable")
    assert response.status_code == 302
    assert clerk_client.get("/password").status_code == 302
    assert sign_in(app.test_client(), "clerk").status_code == 401
    assert last_event("user.disable").actor == "admin"
    post(admin_client, f"/admin/users/{people['clerk'].id}/enable")
    assert sign_in(app.test_client(), "clerk").status_code == 302


def test_an_admin_cannot_disable_themself(admin_client, people):
    response = post(admin_client, f"/admin/users/{people['admin'].id}/disable", follow_redirects=True)
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    assert User.get_by_id(people["admin"].id).active


def test_a_password_reset_shows_a_new_one_time_password_and_ends_sessions(app, admin_client, people):
    clerk_client = app.test_client()
    sign_in(clerk_client, "clerk")
    response = post(admin_client, f"/admin/users/{people['clerk'].id}/password")
    password = one_time_password(response.get_data(as_text=True))
    assert response.headers["Cache-Control"] == "no-store"
    assert clerk_client.get("/password").status_code == 302
    assert sign_in(app.test_client(), "clerk").status_code == 401
    assert sign_in(app.test_client(), "clerk", password).headers["Location"].endswith("/password")


def test_a_role_and_unit_change_is_saved_and_audited(admin_client, people):
    county = Unit.get(Unit.name == "安康市汉滨区")
    response = post(
        admin_client, f"/admin/users/{people['clerk'].id}", {"role": "unit_leader", "unit": county.id}
    )
    assert response.status_code == 302
    moved = User.get_by_id(people["clerk"].id)
    assert (moved.role, moved.unit_id) == ("unit_leader", county.id)
    assert last_event("user.role_change").after == {"role": "unit_leader", "unit": "安康市汉滨区"}


def test_an_unknown_user_or_unit_is_404(admin_client):
    assert admin_client.get("/admin/users/999999").status_code == 404
    assert admin_client.get("/admin/units/999999").status_code == 404


def test_units_are_listed_and_searched(admin_client):
    page = admin_client.get("/admin/units?q=汉滨").get_data(as_text=True)
    assert "安康市汉滨区" in page and "安康市乡村振兴局" not in page
    groups = admin_client.get("/admin/units?kind=group").get_data(as_text=True)
    assert "安康市各县(市、区)" in groups and "安康市汉滨区" not in groups


def test_a_units_short_name_and_aliases_are_edited(admin_client):
    bureau = Unit.get(Unit.name == "安康市乡村振兴局")
    response = post(
        admin_client, f"/admin/units/{bureau.id}", {"short": "市振兴局", "aliases": "振兴局\n乡村振兴局"}
    )
    assert response.status_code == 302
    bureau = Unit.get_by_id(bureau.id)
    assert bureau.short == "市振兴局" and bureau.aliases == ["振兴局", "乡村振兴局"]
    assert last_event("unit.update").actor == "admin"


def test_another_units_full_name_as_alias_is_refused(admin_client):
    bureau = Unit.get(Unit.name == "安康市乡村振兴局")
    response = post(admin_client, f"/admin/units/{bureau.id}", {"short": "", "aliases": "安康市汉滨区"})
    assert response.status_code == 400
    assert "另一个单位的全称" in response.get_data(as_text=True)


def test_group_members_are_removed_and_added_back(admin_client):
    group, member = Unit.get(Unit.name == "安康市各县(市、区)"), Unit.get(Unit.name == "安康市汉滨区")
    page = admin_client.get(f"/admin/units/{group.id}").get_data(as_text=True)
    assert "安康市白河县" in page and "移出" in page
    response = post(admin_client, f"/admin/units/{group.id}/members/{member.id}/remove")
    assert response.status_code == 302
    assert not UnitMember.select().where(UnitMember.group == group, UnitMember.member == member).exists()
    response = post(admin_client, f"/admin/units/{group.id}/members", {"member": member.id})
    assert response.status_code == 302
    assert UnitMember.select().where(UnitMember.group == group, UnitMember.member == member).exists()
    again = post(admin_client, f"/admin/units/{group.id}/members/{member.id}/remove")
    assert again.status_code == 302
    assert post(admin_client, f"/admin/units/{group.id}/members/{member.id}/remove").status_code == 404


def upload(client, text: str, name: str = "方案.yaml"):
    return post(
        client,
        "/admin/plans/upload",
        {"file": (io.BytesIO(text.encode("utf-8")), name)},
        content_type="multipart/form-data",
    )


def test_a_plan_file_is_uploaded_previewed_and_loaded(app, admin_client, tmp_path):
    response = upload(admin_client, SMALL_PLAN, "网页方案.yaml")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    token = preview_url.rstrip("/").split("/")[-1]
    stored = list((tmp_path / "uploads" / "plans").glob("*.yaml"))
    assert [p.name for p in stored] == [f"{token}.yaml"]
    static = app.static_folder
    assert not str(stored[0]).startswith(static)
    page = admin_client.get(preview_url).get_data(as_text=True)
    assert "网页方案.yaml" in page and "确认加载" in page and "措施" in page
    assert str(tmp_path) not in page
    assert not Plan.select().where(Plan.code == "web-test").exists()
    # Its start is past: the load asks from which day it is supervised (the field's default: today).
    assert 'name="adopt-web-test"' in page
    loaded = post(
        admin_client,
        f"/admin/plans/staged/{token}/load",
        {"adopt-web-test": "2024-06-01"},
        follow_redirects=True,
    )
    assert "已加载 web-test" in loaded.get_data(as_text=True)
    assert Plan.get(Plan.code == "web-test").adopted.isoformat() == "2024-06-01"
    assert last_event("measure.create").actor == "admin"
    assert not list((tmp_path / "uploads" / "plans").glob("*.yaml"))
    assert admin_client.get(preview_url).status_code == 404


def test_unresolved_names_are_listed_and_nothing_is_loaded(admin_client):
    response = upload(admin_client, SMALL_PLAN.replace("[汉滨区]", "[不存在的局]"))
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "无法识别的单位名称(1)" in page and "不存在的局" in page
    assert "确认加载" not in page
    token = response.headers["Location"].rstrip("/").split("/")[-1]
    refused = post(admin_client, f"/admin/plans/staged/{token}/load")
    assert refused.status_code == 302 and not Plan.select().where(Plan.code == "web-test").exists()


def test_an_unsafe_upload_is_refused_and_not_kept(admin_client, tmp_path):
    response = upload(admin_client, "a: &x [1]\nb: *x\n")
    assert response.status_code == 400
    assert "锚点" in response.get_data(as_text=True)
    assert not list((tmp_path / "uploads").rglob("*.yaml"))
    wrong = upload(admin_client, "plan: {}", "plan.exe")
    assert "只接受" in wrong.get_data(as_text=True)


def test_a_staged_file_can_be_discarded(admin_client):
    response = upload(admin_client, SMALL_PLAN)
    token = response.headers["Location"].rstrip("/").split("/")[-1]
    assert post(admin_client, f"/admin/plans/staged/{token}/discard").status_code == 302
    assert last_event("plan_file.discard").entity_id == token
    assert admin_client.get(f"/admin/plans/staged/{token}").status_code == 404


def test_the_audit_page_verifies_the_chain(admin_client):
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "审计链完整" in page and '<td data-label="操作">登录</td>' in page  # session.open
    as_dba()
    AuditEvent.update(actor="intruder").where(AuditEvent.seq == 1).execute()
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "审计链校验失败" in page and "#1" in page


def test_the_units_page_shows_the_units_as_a_tree_by_parent(admin_client, tmp_path):
    from tests.services.test_levels import PLAN
    from tracker.plans.load import load_plans

    (tmp_path / "levels.yaml").write_text(PLAN, encoding="utf-8")
    load_plans([tmp_path / "levels.yaml"])
    page = admin_client.get("/admin/units").get_data(as_text=True)
    rows = re.findall(
        r'<tr class="depth-(\d)">\s*<td data-label="单位全称"[^>]*>.*?<a [^>]*>([^<]+)</a>', page, re.S
    )
    order = [name for _, name in rows]
    depth = {name: int(d) for d, name in rows}
    # The city, then each unit under it, each county followed by its own towns.
    assert depth["测试市"] == 0 and depth["东岭县"] == 1 and depth["东岭县甲镇"] == 2
    city, dongling, xichuan = order.index("测试市"), order.index("东岭县"), order.index("西川县")
    assert city < dongling < xichuan
    assert sorted(order[dongling + 1 : xichuan]) == ["东岭县乙镇", "东岭县甲镇"]
    assert order.index("西川县丙镇") == xichuan + 1
    assert '<td data-label="上级单位">东岭县</td>' in page


def test_a_plan_loaded_mid_span_asks_its_adoption_day_defaulting_to_today_in_beijing(web_as, monkeypatch):
    from tests.web.conftest import served_form

    # 23:30 on 31 May UTC is already 1 June in Beijing.
    monkeypatch.setenv("TRACKER_NOW", "2024-05-31T23:30:00+00:00")
    web = web_as("admin")
    upload_page = web.get("/admin/plans")
    form = served_form(upload_page, "/admin/plans/upload")
    form["file"] = ("方案.yaml", SMALL_PLAN.encode("utf-8"))
    preview = form.submit().follow()
    action = preview.request.path + "/load"
    load = served_form(preview, action)
    assert load["adopt-web-test"].value == "2024-06-01"
    assert "采用日之前的月份不催报、不评分、不排名、不发布" in preview.text

    load["adopt-web-test"] = "2025-01-05"  # after the plan's end: refused, nothing loaded
    refused = load.submit().follow()
    assert "不在方案 web-test 的实施期内" in refused.text
    assert not Plan.select().where(Plan.code == "web-test").exists()

    load = served_form(refused, action)
    load.submit().follow()
    assert Plan.get(Plan.code == "web-test").adopted.isoformat() == "2024-06-01"
    assert last_event("plan.create").actor == "admin"
