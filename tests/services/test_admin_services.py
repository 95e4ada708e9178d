"""Administration services: every change is audited with it, and the guard rails hold."""

from __future__ import annotations

import pytest

from tracker.plans.load import LoadError
from tracker.services import admin
from tracker.services.auth import AuthError, session_user, sign_in
from tracker.services.users import add_user, check_password
from tracker.store.models import Assignment, AuditEvent, Plan, Unit, UnitMember, User

PASSWORD = "correct horse battery"

SMALL_PLAN = """\
plan:
  code: admin-test
  title: 测试方案
  start: 2024-01-01
  end: 2024-12-31
units:
  - {name: 测试市甲局, short: 甲局}
  - {name: 测试市乙局, short: 乙局}
sections:
  - code: "1"
    title: 第一部分
    measures:
      - {code: "1.1", title: 第一项措施, lead: [甲局], responsible: [乙局]}
"""


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.seq))


@pytest.fixture
def office(loaded):
    boss = add_user("boss", "admin", password=PASSWORD, must_change=False)[0]
    clerk = add_user("clerk", "reporter", "安康市乡村振兴局", PASSWORD, must_change=False)[0]
    return boss, clerk


def unit(name: str) -> Unit:
    return Unit.get(Unit.name == name)


# -- people ------------------------------------------------------------------------------------------


def test_a_new_person_gets_a_one_time_password_that_must_be_changed(office):
    user, password = admin.create_user("boss", "newbie", "reporter", unit("安康市汉滨区").id, "汉滨区 王芳")
    assert user.must_change_password and check_password(user, password)
    assert user.unit.name == "安康市汉滨区" and user.display_name == "汉滨区 王芳"
    assert events("user.create")[-1].actor == "boss"


def test_an_inspector_with_a_unit_is_that_levels_office(office):
    user, _ = admin.create_user("boss", "hanbin-office", "inspector", unit("安康市汉滨区").id, "汉滨区督查室")
    assert (user.role, user.unit.name) == ("inspector", "安康市汉滨区")


@pytest.mark.parametrize(
    ("role", "unit_name", "why"),
    [
        ("reporter", None, "必须属于一个单位"),
        ("admin", "安康市汉滨区", "单位请留空"),
        ("mayor", None, "无效"),
    ],
)
def test_a_role_and_unit_that_do_not_fit_are_refused(office, role, unit_name, why):
    with pytest.raises(admin.AdminError, match=why):
        admin.create_user("boss", "someone", role, unit(unit_name).id if unit_name else None)
    assert not User.select().where(User.username == "someone").exists()


def test_a_taken_user_name_is_refused(office):
    with pytest.raises(admin.AdminError, match="已存在"):
        admin.create_user("boss", "clerk", "inspector")


def test_disabling_ends_every_session_at_once_and_is_audited(office):
    _, clerk = office
    token = sign_in("clerk", PASSWORD).token
    admin.set_active("boss", clerk.id, False)
    assert session_user(token) is None
    assert not User.get_by_id(clerk.id).active
    with pytest.raises(AuthError):
        sign_in("clerk", PASSWORD)
    disable = events("user.disable")[-1]
    assert disable.actor == "boss" and disable.after == {"active": False}
    revoke = events("session.revoke")[-1]
    assert revoke.seq > disable.seq and revoke.after == {"why": "disabled"}
    admin.set_active("boss", clerk.id, True)
    assert sign_in("clerk", PASSWORD).user.id == clerk.id


def test_an_admin_cannot_disable_themself_or_the_last_admin(office):
    boss, _ = office
    with pytest.raises(admin.AdminError, match="自己"):
        admin.set_active("boss", boss.id, False)
    with pytest.raises(admin.AdminError, match="最后一个"):
        admin.set_active("cli", boss.id, False)
    with pytest.raises(admin.AdminError, match="最后一个"):
        admin.change_role("cli", boss.id, "inspector", None)
    assert User.get_by_id(boss.id).active and User.get_by_id(boss.id).role == "admin"


def test_a_password_reset_gives_a_new_one_time_password_and_ends_sessions(office):
    _, clerk = office
    token = sign_in("clerk", PASSWORD).token
    user, password = admin.reset_password("boss", clerk.id)
    assert session_user(token) is None
    assert user.must_change_password and check_password(User.get_by_id(clerk.id), password)
    assert not check_password(User.get_by_id(clerk.id), PASSWORD)
    event = events("user.password_reset")[-1]
    assert password not in str(event.after) and event.actor == "boss"


def test_an_admin_resets_their_own_password_by_changing_it(office):
    boss, _ = office
    with pytest.raises(admin.AdminError, match="修改密码"):
        admin.reset_password("boss", boss.id)


def test_a_role_change_moves_the_person_and_ends_their_sessions(office):
    _, clerk = office
    token = sign_in("clerk", PASSWORD).token
    admin.change_role("boss", clerk.id, "unit_leader", unit("安康市汉滨区").id)
    moved = User.get_by_id(clerk.id)
    assert moved.role == "unit_leader" and moved.unit.name == "安康市汉滨区"
    assert session_user(token) is None
    event = events("user.role_change")[-1]
    assert event.before == {"role": "reporter", "unit": "安康市乡村振兴局"}
    assert event.after == {"role": "unit_leader", "unit": "安康市汉滨区"}


def test_an_unknown_user_is_not_found(office):
    with pytest.raises(admin.AdminNotFound):
        admin.set_active("boss", 999_999, False)


# -- units -------------------------------------------------------------------------------------------


def test_units_list_their_group_members_in_order(office):
    rows = {r.unit.name: r for r in admin.list_units()}
    counties = rows["安康市各县(市、区)"]
    assert counties.unit.kind == "group"
    assert [m.name for m in counties.members][:2] == ["安康市汉滨区", "安康市汉阴县"]
    assert counties.unit in rows["安康市汉滨区"].groups
    assert rows["安康市乡村振兴局"].users == 1 and rows["安康市乡村振兴局"].assignments > 0


def test_short_name_and_aliases_are_changed_and_audited(office):
    bureau = unit("安康市乡村振兴局")
    admin.update_unit(
        "boss", bureau.id, "市振兴局", admin.split_names("振兴局\n乡村振兴局、振兴局, 安康市乡村振兴局")
    )
    bureau = unit("安康市乡村振兴局")
    assert bureau.short == "市振兴局" and bureau.aliases == ["振兴局", "乡村振兴局"]
    event = events("unit.update")[-1]
    assert event.after == {"short": "市振兴局", "aliases": ["振兴局", "乡村振兴局"]}


def test_another_units_full_name_is_refused_as_an_alias(office):
    with pytest.raises(admin.AdminError, match="另一个单位的全称"):
        admin.update_unit("boss", unit("安康市乡村振兴局").id, None, ["安康市汉滨区"])


def test_a_member_removed_keeps_its_assignments_and_reports(office):
    group, member = unit("安康市各县(市、区)"), unit("安康市汉滨区")
    before = Assignment.select().where(Assignment.unit == member).count()
    assert before > 0
    admin.remove_member("boss", group.id, member.id)
    assert not UnitMember.select().where(UnitMember.group == group, UnitMember.member == member).exists()
    assert Assignment.select().where(Assignment.unit == member).count() == before
    event = events("unit_member.delete")[-1]
    assert event.before["member"] == "安康市汉滨区" and event.after is None
    with pytest.raises(admin.AdminNotFound):
        admin.remove_member("boss", group.id, member.id)
    link = admin.add_member("boss", group.id, member.id)
    assert link.position == max(m.position for m in UnitMember.select().where(UnitMember.group == group))
    assert events("unit_member.create")[-1].actor == "boss"


def test_members_go_only_into_groups_and_only_once(office):
    group, member = unit("安康市各县(市、区)"), unit("安康市汉滨区")
    with pytest.raises(admin.AdminError, match="不是单位组"):
        admin.add_member("boss", member.id, unit("安康市乡村振兴局").id)
    with pytest.raises(admin.AdminError, match="已是"):
        admin.add_member("boss", group.id, member.id)
    with pytest.raises(admin.AdminError, match="不能是单位组"):
        admin.add_member("boss", group.id, group.id)


# -- plan files --------------------------------------------------------------------------------------


def test_a_staged_plan_is_previewed_then_loaded_and_leaves_the_staging_area(office, tmp_path):
    staged = admin.stage_plan_file(tmp_path, SMALL_PLAN.encode(), "测试方案.yaml", "boss")
    assert staged.path.parent == tmp_path / "plans" and staged.token in staged.path.name
    assert "测试方案" not in staged.path.name and oct(staged.path.stat().st_mode)[-3:] == "600"
    preview = admin.preview_plan(staged, "boss")
    assert preview.loadable and preview.summaries[0].origin == "测试方案.yaml"
    table = {row[0]: row[1:] for row in admin.change_table(preview.summaries[0])}
    assert table["措施"] == (1, 0, 0, 0) and table["单位"] == (2, 0, 0, 0)
    assert not Plan.select().where(Plan.code == "admin-test").exists()
    assert [s.token for s in admin.staged_plans(tmp_path)] == [staged.token]
    summaries = admin.load_staged(tmp_path, staged.token, "boss")
    assert summaries[0].created["measure"] == 1
    assert Plan.get(Plan.code == "admin-test").file_sha256 == staged.sha256
    assert events("measure.create")[-1].actor == "boss"
    assert admin.staged_plans(tmp_path) == [] and not staged.path.exists()
    with pytest.raises(admin.AdminNotFound):
        admin.load_staged(tmp_path, staged.token, "boss")


def test_unresolved_unit_names_are_listed_in_the_uploaded_files_name(office, tmp_path):
    text = SMALL_PLAN.replace("responsible: [乙局]", "responsible: [不存在局, 也不存在局]")
    staged = admin.stage_plan_file(tmp_path, text.encode(), "有问题.yaml", "boss")
    preview = admin.preview_plan(staged, "boss")
    assert not preview.loadable
    assert len(preview.unresolved) == 2 and all(p.source == "有问题.yaml" for p in preview.problems)
    assert "不存在局" in preview.unresolved[0].reason
    with pytest.raises(LoadError) as caught:
        admin.load_staged(tmp_path, staged.token, "boss")
    assert str(staged.path) not in str(caught.value)
    assert staged.path.exists()


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("plan.exe", b"plan: {}", "只接受"),
        ("plan.yaml", b"", "空的"),
        ("plan.yaml", b"\xff\xfe\x00p", "二进制"),
        ("plan.yaml", "plan: 测试".encode("gbk"), "UTF-8"),
        ("plan.yaml", b"a: &x [1, 2]\nb: *x\n", "锚点"),
        ("plan.yaml", b"a: [" * 60 + b"]" * 60, "层级"),
        ("plan.yaml", b"plan: [unclosed\n", "YAML 格式错误"),
        ("plan.yaml", b"!!python/object/apply:os.system [echo hi]\n", None),
        ("plan.yaml", b"#" * (admin.MAX_PLAN_BYTES + 1), "过大"),
    ],
    ids=["suffix", "empty", "binary", "gbk", "anchors", "deep", "broken", "python-tag", "too-big"],
)
def test_unsafe_or_unreadable_uploads_are_refused_before_they_are_kept(office, tmp_path, name, data, why):
    try:
        staged = admin.stage_plan_file(tmp_path, data, name, "boss")
    except admin.AdminError as exc:
        assert why is None or why in str(exc)
        assert not (tmp_path / "plans").exists() or not any((tmp_path / "plans").iterdir())
        return
    # A tag the safe reader does not know is only text to the plan checker: it can never run.
    assert why is None
    preview = admin.preview_plan(staged, "boss")
    assert not preview.loadable


def test_a_made_up_token_is_not_found(office, tmp_path):
    for token in ("../../etc/passwd", "0" * 32, "ABC"):
        with pytest.raises(admin.AdminNotFound):
            admin.staged_plan(tmp_path, token)


def test_discarding_a_staged_plan_is_audited(office, tmp_path):
    staged = admin.stage_plan_file(tmp_path, SMALL_PLAN.encode(), "x.yaml", "boss")
    admin.discard_staged(tmp_path, staged.token, "boss")
    assert not staged.path.exists()
    assert events("plan_file.discard")[-1].entity_id == staged.token
    assert events("plan_file.stage")[-1].after["sha256"] == staged.sha256
