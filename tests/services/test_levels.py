"""A city plan over two counties and their towns: shares, a split down to towns, roll-up values up to
the cut-off, a measure's light as the worst of its units' with each reason naming the unit, and a
county office that sees its part only. Every figure below is worked out by hand in the comments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from tracker.clock import TZ
from tracker.plans.load import LoadError, load_plans
from tracker.rules.periods import Period
from tracker.rules.snapshot import board_json
from tracker.services import breakdown, reports, supervision
from tracker.services.boards import lights_now, monthly_board
from tracker.services.scoping import OutOfScope, Scope
from tracker.services.supervision.overview import overview
from tracker.services.users import add_user
from tracker.store.models import Assignment, AuditEvent, Measure, Plan, Unit

PLAN = """\
plan:
  code: levels-2024
  title: 测试市农村危房改造任务分工
  start: 2024-05-01
  end: 2024-12-31
  reporting: {cadence: monthly, due_day: 25}
units:
  - {name: 测试市, kind: city}
  - {name: 测试市住房和城乡建设局, short: 市住建局, kind: department, parent: 测试市}
  - {name: 东岭县, kind: county, parent: 测试市, tags: [试点区县]}
  - {name: 西川县, kind: county, parent: 测试市}
  - {name: 东岭县甲镇, short: 甲镇, kind: town, parent: 东岭县}
  - {name: 东岭县乙镇, short: 乙镇, kind: town, parent: 东岭县}
  - {name: 西川县丙镇, short: 丙镇, kind: town, parent: 西川县}
sections:
  - code: "1"
    title: 住房安全
    measures:
      - code: "1.1"
        title: 完成农村危房改造
        lead: [市住建局]
        responsible: [东岭县, 西川县]
        deadline: 2024-12-31
        indicators:
          - name: 危房改造竣工
            unit: 户
            target: 100
            rollup: sum
            shares: {东岭县: 60, 西川县: 40}
            milestones: [{date: 2024-06-15, value: 50}]
      - code: "1.2"
        title: 控制危房鉴定超期
        lead: [市住建局]
        responsible: [东岭县, 西川县]
        deadline: 2024-12-31
        indicators:
          - {name: 鉴定超期率, unit: "%", kind: rate, direction: down, target: 5, rollup: max,
             milestones: [{date: 2024-06-15, value: 5}]}
"""


def UID(label: str) -> int:  # noqa: N802 - reads as a constant lookup in the test
    return next(u.id for u in Unit.select() if u.label == label)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def world(database, tmp_path, monkeypatch):
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    load_plans([tmp_path / "plan.yaml"])
    people = {
        "zhujian": ("reporter", "市住建局"),
        "dongling": ("reporter", "东岭县"),
        "xichuan": ("reporter", "西川县"),
        "jia": ("reporter", "甲镇"),
        "yi": ("reporter", "乙镇"),
        "city-office": ("inspector", None),
        "dongling-office": ("inspector", "东岭县"),
    }
    scope = {
        name: Scope.of(add_user(name, role, unit, "a long password", must_change=False)[0])
        for name, (role, unit) in people.items()
    }
    plan = Plan.get(Plan.code == "levels-2024")
    rows = (
        Assignment.select(Assignment, Unit)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .switch(Assignment)
        .join(Measure)
        .where(Measure.code == "1.1")
    )
    of = {a.unit.label: a for a in rows}

    def now(text: str) -> None:
        monkeypatch.setenv("TRACKER_NOW", at(text).isoformat())

    return plan, scope, of, now


def report(scope, assignment, value, period="2024-06", percent=50):
    values = {} if value is None else {"危房改造竣工": Decimal(value)}
    return reports.save_revision(
        scope, assignment.id, period, reports.ReportInput(percent=percent, indicator_values=values)
    )


def test_the_levels_are_loaded_with_kind_parent_and_tags(world):
    units = {u.name: u for u in Unit.select()}
    assert (units["东岭县"].kind, units["东岭县"].parent.name, units["东岭县"].tags) == (
        "county",
        "测试市",
        ["试点区县"],
    )
    assert units["东岭县甲镇"].parent.name == "东岭县"
    assert units["测试市"].parent is None


def test_a_parent_loop_is_refused_and_nothing_is_loaded(database, tmp_path):
    looped = PLAN.replace("{name: 测试市, kind: city}", "{name: 测试市, kind: city, parent: 东岭县甲镇}")
    (tmp_path / "loop.yaml").write_text(looped, encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_plans([tmp_path / "loop.yaml"])
    assert "上下级循环" in str(caught.value)
    assert not Unit.select().exists() and not Plan.select().exists()


def test_shares_split_and_roll_up_give_the_hand_computed_lights_and_values(world):
    plan, scope, of, now = world
    # 东岭县 (share 60) splits to 甲镇 35 and 乙镇 25; the towns' deadline may not pass 12-31.
    now("2024-06-01 09:00")
    with pytest.raises(breakdown.BreakdownError, match="晚于上级时限"):
        breakdown.split(
            scope["dongling"], of["东岭县"].id, [breakdown.Part(UID("甲镇"), {}, date(2025, 1, 31))]
        )
    with pytest.raises(OutOfScope):  # another county cannot split 东岭县's assignment
        breakdown.split(scope["xichuan"], of["东岭县"].id, [breakdown.Part(UID("甲镇"))])
    towns = breakdown.split(
        scope["dongling"],
        of["东岭县"].id,
        [
            breakdown.Part(UID("甲镇"), {"危房改造竣工": Decimal(35)}, date(2024, 11, 30)),
            breakdown.Part(UID("乙镇"), {"危房改造竣工": Decimal(25)}),
        ],
    )
    jia, yi = towns
    assert (jia.deadline, yi.deadline) == (date(2024, 11, 30), date(2024, 12, 31))

    # June reports, all on time (6-10): towns 20 and 10, 东岭县 writes 99 of its own (ignored: it
    # rolls up), 西川县 15, the lead none.
    now("2024-06-10 10:00")
    report(scope["jia"], jia, 20)
    report(scope["yi"], yi, 10)
    report(scope["dongling"], of["东岭县"], 99)
    report(scope["xichuan"], of["西川县"], 15)
    report(scope["zhujian"], of["市住建局"], None, percent=40)

    board, _ = monthly_board(plan, Period(2024, 6))
    rows = {r.short or r.unit: r for r in board.assignments if r.measure == "1.1"}
    # Milestone 50 by 6-15 scales with each share: 东岭 60/100 → 30, 西川 40/100 → 20,
    # 甲镇 35/60 of 30 → 17.5, 乙镇 25/60 of 30 → 12.5; the lead holds the whole 50.
    values = {name: row.indicators[0].value for name, row in rows.items()}
    assert values == {
        "甲镇": Decimal(20),
        "乙镇": Decimal(10),
        "东岭县": Decimal(30),  # 20 + 10, not its own 99
        "西川县": Decimal(15),
        "市住建局": Decimal(45),  # 30 + 15
    }
    lights = {name: (row.light.value, row.reasons) for name, row in rows.items()}
    assert lights["甲镇"] == ("green", ("按计划推进",))
    assert lights["东岭县"] == ("green", ("按计划推进",))
    assert lights["乙镇"] == ("amber", ("指标「危房改造竣工」落后于节点（6月15日应达 12.5户，实报 10户）",))
    assert lights["西川县"] == ("amber", ("指标「危房改造竣工」落后于节点（6月15日应达 20户，实报 15户）",))
    assert lights["市住建局"] == ("amber", ("指标「危房改造竣工」落后于节点（6月15日应达 50户，实报 45户）",))
    measure = board.measures[0]
    assert measure.light.value == "amber"
    assert set(measure.reasons) == {
        "市住建局：指标「危房改造竣工」落后于节点（6月15日应达 50户，实报 45户）",
        "西川县：指标「危房改造竣工」落后于节点（6月15日应达 20户，实报 15户）",
        "乙镇：指标「危房改造竣工」落后于节点（6月15日应达 12.5户，实报 10户）",
    }
    data = board_json(board, plan.code)
    assert data["measures"][0]["indicators"] == [
        {"name": "危房改造竣工", "unit": "户", "target": 100, "value": 45, "direction": "up"}
    ]
    units = {u["name"]: u for u in data["units"]}
    assert (units["东岭县"]["kind"], units["东岭县"]["parent"], units["东岭县"]["tags"]) == (
        "county",
        "测试市",
        ["试点区县"],
    )
    assert units["东岭县甲镇"]["parent"] == "东岭县"

    # A July report by 甲镇 (30) counts from July: June's board keeps 45, the live value is 55.
    now("2024-07-02 10:00")
    report(scope["jia"], jia, 30, period="2024-07")
    june, _ = monthly_board(plan, Period(2024, 6))
    assert june.measures[0].indicators[0].value == Decimal(45)
    live = lights_now(plan, at("2024-07-02 10:00"))
    lead = next(f for f in live.facts.assignments if f.unit.name == "测试市住房和城乡建设局")
    from tracker.rules.progress import read

    assert read(lead, live.facts.rules, at("2024-07-02 10:00")).indicator_value("危房改造竣工") == Decimal(55)

    # The split is audited, and a revision keeps the old one in the history.
    now("2024-07-03 10:00")
    breakdown.split(
        scope["dongling-office"],
        of["东岭县"].id,
        [breakdown.Part(UID("甲镇"), {"危房改造竣工": Decimal(60)})],
    )
    assert Assignment.get_by_id(yi.id).archived_at is not None
    history = [
        e.action
        for e in AuditEvent.select().where(AuditEvent.entity == "assignment").order_by(AuditEvent.seq)
    ]
    assert history.count("assignment.split") == 3 and history.count("assignment.unsplit") == 1


def test_a_county_office_sees_its_county_and_towns_only(world):
    plan, scope, of, now = world
    now("2024-06-01 09:00")
    breakdown.split(
        scope["dongling"],
        of["东岭县"].id,
        [breakdown.Part(UID("甲镇"), {"危房改造竣工": Decimal(60)})],
    )
    office = scope["dongling-office"]
    assert {u.name for u in Unit.select().where(Unit.id.in_(sorted(office.units)))} == {
        "东岭县",
        "东岭县甲镇",
        "东岭县乙镇",
    }
    view = overview(plan, at("2024-06-20 10:00"), units=office.units)
    assert sorted((r.measure_code, r.unit_label) for r in view.rows) == [
        ("1.1", "东岭县"),
        ("1.1", "甲镇"),
        ("1.2", "东岭县"),
    ]
    city = overview(plan, at("2024-06-20 10:00"), units=scope["city-office"].units)
    assert sorted(r.unit_label for r in city.rows if r.measure_code == "1.1") == [
        "东岭县",
        "市住建局",
        "甲镇",
        "西川县",
    ]

    # Outside its part: not found, whatever the way in; inside: it works as the city's office does.
    with pytest.raises(OutOfScope):
        office.assignment(of["西川县"].id)
    with pytest.raises(OutOfScope):
        supervision.open_finding(
            office,
            unit_id=of["西川县"].unit_id,
            measure_id=of["西川县"].measure_id,
            plan_id=plan.id,
            title="台账不全",
            rectify_by=date(2024, 7, 15),
        )
    mine = supervision.open_finding(
        office,
        unit_id=of["东岭县"].unit_id,
        measure_id=of["东岭县"].measure_id,
        plan_id=plan.id,
        title="危改台账不全",
        rectify_by=date(2024, 7, 15),
    )
    theirs = supervision.open_finding(
        scope["city-office"],
        unit_id=of["西川县"].unit_id,
        measure_id=of["西川县"].measure_id,
        plan_id=plan.id,
        title="危改进度滞后",
        rectify_by=date(2024, 7, 15),
    )
    assert [r.finding.id for r in supervision.finding_ledger(office)] == [mine.id]
    assert {r.finding.id for r in supervision.finding_ledger(scope["city-office"])} == {mine.id, theirs.id}
    with pytest.raises(OutOfScope):
        office.finding(theirs.id)
    assert Measure.select().count() == 2


def test_a_down_indicator_with_max_holds_each_county_to_the_ceiling_and_the_whole_to_the_worst(world):
    plan, scope, of, now = world
    ceiling = {
        a.unit.label: a
        for a in Assignment.select(Assignment, Unit)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .switch(Assignment)
        .join(Measure)
        .where(Measure.code == "1.2")
    }
    now("2024-06-10 10:00")
    for who, label, value in (("dongling", "东岭县", "3"), ("xichuan", "西川县", "7.5")):
        reports.save_revision(
            scope[who],
            ceiling[label].id,
            "2024-06",
            reports.ReportInput(percent=50, indicator_values={"鉴定超期率": Decimal(value)}),
        )
    reports.save_revision(
        scope["zhujian"], ceiling["市住建局"].id, "2024-06", reports.ReportInput(percent=50)
    )
    board, _ = monthly_board(plan, Period(2024, 6))
    rows = {r.short or r.unit: r for r in board.assignments if r.measure == "1.2"}
    # Each county is held to ≤ 5% itself (no shares): 3 meets it, 7.5 does not. The whole is the
    # worst county, max(3, 7.5) = 7.5, judged against the same ceiling at the lead.
    assert rows["东岭县"].light.value == "green"
    assert rows["西川县"].reasons == ("指标「鉴定超期率」落后于节点（6月15日应不高于 5%，实报 7.5%）",)
    assert rows["市住建局"].indicators[0].value == Decimal("7.5")
    assert rows["市住建局"].reasons == ("指标「鉴定超期率」落后于节点（6月15日应不高于 5%，实报 7.5%）",)
    measure = next(m for m in board.measures if m.code == "1.2")
    assert (measure.light.value, set(measure.reasons)) == (
        "amber",
        {
            "市住建局：指标「鉴定超期率」落后于节点（6月15日应不高于 5%，实报 7.5%）",
            "西川县：指标「鉴定超期率」落后于节点（6月15日应不高于 5%，实报 7.5%）",
        },
    )
    (indicator,) = board_json(board, plan.code)["measures"][1]["indicators"]
    assert indicator == {"name": "鉴定超期率", "unit": "%", "target": 5, "value": 7.5, "direction": "down"}


def test_xunyi_judges_each_town_against_its_share_and_the_county_against_60_summed(database, monkeypatch):
    from tests.conftest import MEASURES
    from tracker.rules.periods import Year
    from tracker.services.boards import assessment

    load_plans([MEASURES / "xunyi-2024.yaml"])
    plan = Plan.get(Plan.code == "xunyi-2024")
    town = Scope.of(add_user("chengguan", "reporter", "城关街道", "a long password", must_change=False)[0])
    taicun = Scope.of(add_user("taicun", "reporter", "太村镇", "a long password", must_change=False)[0])
    (mine,) = town_assignments = [
        a
        for a in Assignment.select().join(Measure).where(Measure.plan == plan.id, Measure.code == "2.4")
        if a.unit.short == "城关街道"
    ]
    (theirs,) = [
        a
        for a in Assignment.select().join(Measure).where(Measure.plan == plan.id, Measure.code == "2.4")
        if a.unit.short == "太村镇"
    ]
    assert town_assignments
    # 城关街道's share is 4 of 60 and it finished its 4 in October; 太村镇 (share 6) reached 5.
    for month in range(plan.start.month, 13):
        monkeypatch.setenv("TRACKER_NOW", at(f"2024-{month:02d}-20 10:00").isoformat())
        period = f"2024-{month:02d}"
        done = Decimal(4 if month >= 10 else max(0, month - 6))
        values = {"危房改造竣工": done, "危房改造验收并兑付补助资金": Decimal(4 if month >= 11 else 0)}
        reports.save_revision(
            town, mine.id, period, reports.ReportInput(percent=100, indicator_values=values)
        )
        theirs_values = {
            "危房改造竣工": Decimal(min(5, max(0, month - 5))),
            "危房改造验收并兑付补助资金": Decimal(0),
        }
        reports.save_revision(
            taicun, theirs.id, period, reports.ReportInput(percent=100, indicator_values=theirs_values)
        )
    result = assessment(plan, Year(2024))
    lines = {s.unit.label: [str(line) for line in s.lines] for s in result.scores}
    assert not [line for line in lines["城关街道"] if "2.4" in line]
    (behind,) = [line for line in lines["太村镇"] if "2.4" in line and "应达" in line]
    assert "10月31日应达 6户，实报 5户" in behind and "11月30日应达 6户，实报 0户" in behind
    # The county's lead is judged against the whole 60 from the towns' summed values: 4 + 5 = 9.
    (lead,) = [line for line in lines["县住建局"] if "2.4" in line and "应达" in line]
    assert "10月31日应达 60户，实报 9户" in lead


def test_the_chongqing_plans_load_with_their_levels_tags_and_a_source_for_every_field(database):
    from tests.conftest import MEASURES
    from tracker.plans.schema import read_yaml

    files = [MEASURES / "chongqing-2023-counties.yaml", MEASURES / "chongqing-2020-pilots.yaml"]
    load_plans(files)
    assert all(not s.changed for s in load_plans(files))  # loading again changes nothing
    units = {u.name: u for u in Unit.select()}
    for county in ("城口县", "巫溪县", "酉阳土家族苗族自治县", "彭水苗族土家族自治县"):
        assert units[county].kind == "county" and units[county].parent.name == "重庆市"
        assert "国家乡村振兴重点帮扶县" in units[county].tags
    tagged = {
        tag: sorted(u.name for u in units.values() if tag in (u.tags or []))
        for tag in ("试点区县", "试点乡镇", "试点村")
    }
    assert tagged["试点区县"] == ["云阳县", "武隆区", "潼南区"]
    assert (len(tagged["试点乡镇"]), len(tagged["试点村"])) == (18, 18)
    assert {units[v].kind for v in tagged["试点村"]} == {"village"}
    counties = Plan.get(Plan.code == "chongqing-2023-counties")
    codes = [m.code for m in Measure.select().where(Measure.plan == counties.id)]
    assert len([c for c in codes if c.startswith("2.")]) == 28  # 3 categories, 28 indicators
    assert len({c.rsplit(".", 1)[0] for c in codes if c.startswith("3.")}) == 6  # 6 project areas
    pilots = Plan.get(Plan.code == "chongqing-2020-pilots")
    assert len([m for m in Measure.select().where(Measure.plan == pilots.id) if m.code.startswith("1.")]) == 8
    # Every unit, measure and indicator says which sentence of the seed it comes from.
    for path in files:
        doc = read_yaml(path)
        items = list(doc["units"])
        stack = list(doc["sections"])
        while stack:
            section = stack.pop()
            stack += section.get("sections", [])
            for measure in section.get("measures", []):
                items += [measure, *measure.get("indicators", [])]
        missing = [
            i.get("name") or i.get("code") for i in items if i.get("kind") != "city" and not i.get("source")
        ]
        assert not missing, (path.name, missing)
