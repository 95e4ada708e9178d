"""The breakdown (分解) and lead's compile (牵头单位汇总) pages, used as a clerk uses them (WebTest); the
compile shows the reports of the units a responsible unit split its assignment to, under it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import webtest

from tests.web.conftest import submit, web_sign_in
from tests.web.world import PERIOD
from tracker.clock import now
from tracker.services import breakdown
from tracker.services.reports import ReportInput, save_revision
from tracker.services.scoping import Scope
from tracker.services.users import add_user
from tracker.store.models import Assignment, AuditEvent, Indicator, Unit


def _web(app, username: str) -> webtest.TestApp:
    web = webtest.TestApp(app)
    assert web_sign_in(web, username).status_int == 302
    return web


def _towns(parent: Unit) -> list[Unit]:
    return [
        Unit.create(name=f"测试{n}镇", short=f"{n}镇", kind="town", parent=parent, created_at=now())
        for n in ("东", "西")
    ]


def test_a_unit_splits_its_assignment_to_two_towns_and_revises_the_split(app, world):
    east, west = _towns(world.own.unit)
    parent = world.own.assignment  # 甲局 leads 1.1: 100 toilets by 31 October 2024
    toilets = Indicator.get(Indicator.measure == parent.measure_id)
    web = _web(app, "clerk")
    action = f"/unit/assignments/{parent.id}/breakdown"
    page = web.get(action)
    assert "尚未分解" in page.text and "东镇" in page.text and "西镇" in page.text

    # A deadline later than the parent's is refused in Chinese, and what was typed stays on the page.
    refused = submit(
        page,
        action,
        {f"pick_{east.id}": True, f"due_{east.id}": "2024-12-31", f"share_{east.id}_{toilets.id}": "60"},
        status=400,
    )
    assert "晚于上级时限" in refused.text and 'value="60"' in refused.text
    assert not Assignment.select().where(Assignment.parent == parent.id).exists()

    done = submit(
        page,
        action,
        {
            f"pick_{east.id}": True,
            f"due_{east.id}": "2024-09-30",
            f"share_{east.id}_{toilets.id}": "60",
            f"pick_{west.id}": True,
            f"due_{west.id}": "2024-10-15",
            f"share_{west.id}_{toilets.id}": "40",
        },
    ).follow()
    assert "已分解给 2 个下级单位" in done.text
    kids = {a.unit_id: a for a in Assignment.active().where(Assignment.parent == parent.id)}
    assert kids[east.id].shares == {"toilets": 60} and str(kids[east.id].deadline) == "2024-09-30"
    assert kids[west.id].shares == {"toilets": 40}

    # Re-split: the east town takes all 100, the west town is dropped (archived, kept in history).
    again = submit(
        done,
        action,
        {f"share_{east.id}_{toilets.id}": "100", f"pick_{west.id}": False},
    ).follow()
    assert "已分解给 1 个下级单位" in again.text
    assert [a.unit_id for a in Assignment.active().where(Assignment.parent == parent.id)] == [east.id]
    west_row = Assignment.get(Assignment.parent == parent.id, Assignment.unit == west.id)
    assert west_row.archived_at is not None
    history = again.text.split("分解记录", 1)[1]
    assert "撤回分解" in history and "(原:时限 2024-09-30;改建卫生厕所 60)" in history
    assert AuditEvent.select().where(AuditEvent.action == "assignment.split").count() == 3


def test_another_units_clerk_cannot_see_or_split_the_assignment(app, world):
    east, _west = _towns(world.own.unit)
    web = _web(app, "other")
    web.get(f"/unit/assignments/{world.own.assignment.id}/breakdown", status=404)


def test_the_lead_compiles_the_responsible_units_reports(app, world):
    measure_id = world.own.assignment.measure_id
    responsible = Assignment.get(Assignment.measure == measure_id, Assignment.unit == world.other.unit)
    save_revision(
        Scope.of(world.other.clerk),
        responsible.id,
        PERIOD,
        ReportInput(
            percent=55,
            narrative="乙局已改建厕所三十座",
            problems="资金未到位",
            indicator_values={"toilets": Decimal(30)},
        ),
        [],
        expected_revision_number=0,
    )
    web = _web(app, "clerk")
    page = web.get(f"/unit/assignments/{world.own.assignment.id}/compile?period={PERIOD}")
    assert "乙局已改建厕所三十座" in page.text
    assert "共 1 个责任单位,已报送 1 个" in page.text and "平均完成进度 55%" in page.text
    assert "「改建卫生厕所」各责任单位合计 30座(目标 100座)" in page.text
    assert "乙局:资金未到位" in page.text
    assert '<form method="post"' not in page.text.split("汇总摘要", 1)[1]  # read-only
    # A unit that does not lead the measure sees nothing of it.
    _web(app, "other").get(f"/unit/assignments/{responsible.id}/compile", status=404)


def test_the_compile_shows_under_a_responsible_unit_the_reports_of_the_units_it_split_to(app, world):
    measure_id = world.own.assignment.measure_id  # 甲局 leads 1.1; 乙局 is responsible for it
    responsible = Assignment.get(Assignment.measure == measure_id, Assignment.unit == world.other.unit)
    east, west = _towns(world.other.unit)
    village = Unit.create(name="测试东镇前村", short="前村", kind="village", parent=east, created_at=now())
    split = breakdown.split
    part = breakdown.Part
    split(
        Scope.of(world.other.clerk),
        responsible.id,
        [part(east.id, {"toilets": Decimal(18)}, date(2024, 9, 30)), part(west.id, {"toilets": Decimal(12)})],
    )
    east_row = Assignment.get(Assignment.parent == responsible.id, Assignment.unit == east)
    split(Scope.of(world.people["admin"]), east_row.id, [part(village.id, {"toilets": Decimal(5)})])
    village_row = Assignment.get(Assignment.parent == east_row.id)

    def report(assignment, unit, text, toilets):
        clerk = add_user(f"clerk{unit.id}", "reporter", unit.name, "a long password", must_change=False)[0]
        values = {"toilets": Decimal(toilets)}
        save_revision(Scope.of(clerk), assignment.id, PERIOD, ReportInput(percent=50, narrative=text,
                      indicator_values=values), [], expected_revision_number=0)  # fmt: skip

    report(responsible, world.other.unit, "乙局汇总各镇进展", 20)
    report(east_row, east, "东镇改厕十五座", 15)
    report(village_row, village, "前村改厕五座", 5)
    page = _web(app, "clerk").get(f"/unit/assignments/{world.own.assignment.id}/compile?period={PERIOD}")
    rows = [
        " ".join(tr.text_content().split()) for tr in page.lxml.xpath("//table[@class='compile']/tbody/tr")
    ]
    assert [r.split(" ")[0] for r in rows] == ["乙局", "└", "└", "└"], rows
    assert "东镇 (乙局分解)" in rows[1] and "东镇改厕十五座" in rows[1]
    assert "前村 (东镇分解)" in rows[2] and "前村改厕五座" in rows[2]
    assert "西镇 (乙局分解)" in rows[3] and "未报送" in rows[3]
    # the totals and counts are the responsible units' own: their values already roll the split up
    assert "共 1 个责任单位,已报送 1 个" in page.text and "分解到的 3 个下级单位已报送 2 个" in page.text
    assert "各责任单位合计 20座" in page.text
    assert "<form" not in page.text.split("责任单位报送情况", 1)[1]  # read-only
