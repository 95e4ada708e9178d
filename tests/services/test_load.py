"""Loading plan files: idempotent, archiving not deleting, all-or-nothing, audited."""

from __future__ import annotations

from datetime import datetime

import pytest
from ruamel.yaml import YAML

from tracker.clock import TZ
from tracker.plans.load import LoadError, load_plans
from tracker.services.plans import plan_summaries
from tracker.store import audit, models
from tracker.store.db import write_transaction

yaml = YAML(typ="rt")


def snapshot_rows():
    """Every row of every plan table, as comparable tuples."""
    tables = [
        models.Unit,
        models.UnitMember,
        models.Plan,
        models.Section,
        models.Measure,
        models.Assignment,
        models.Indicator,
        models.Milestone,
    ]
    return {m.__name__: sorted(repr(sorted(r.items())) for r in m.select().dicts()) for m in tables}


def write_plan(path, data):
    with open(path, "w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return path


def read_plan(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh)


def test_the_shipped_plans_load_with_the_counts_the_notices_give(database, shipped_plans):
    load_plans(shipped_plans)
    counts = {s.code: s for s in plan_summaries()}
    assert counts["ankang-2023"].measures == 46 and counts["ankang-2023"].sections == 3
    assert counts["xunyi-2024"].measures == 38 and counts["xunyi-2024"].sections == 10
    assert counts["zixing-2021"].measures == 24 and counts["zixing-2021"].sections == 5
    ankang_areas = (
        models.Section.select()
        .join(models.Plan)
        .where(models.Plan.code == "ankang-2023", models.Section.parent.is_null())
    )
    per_area = {
        s.code: models.Measure.select()
        .join(models.Section)
        .where(models.Section.code.startswith(s.code + "."), models.Measure.plan == s.plan)
        .count()
        for s in ankang_areas
    }
    assert per_area == {"1": 15, "2": 22, "3": 9}
    assert all(s.archived == 0 for s in counts.values())


def test_loading_the_same_files_twice_leaves_the_same_database(database, shipped_plans):
    load_plans(shipped_plans)
    first = snapshot_rows()
    events = models.AuditEvent.select().count()
    summaries = load_plans(shipped_plans)
    assert not any(s.changed for s in summaries)
    assert snapshot_rows() == first
    assert models.AuditEvent.select().count() == events


def test_a_group_with_members_gives_every_member_its_own_assignment(database, shipped_plans):
    load_plans(shipped_plans)
    group = models.Unit.get(models.Unit.name == "安康市各县(市、区)")
    members = [link.member for link in group.member_links]
    assert len(members) == 10
    measure = next(
        m
        for m in models.Measure.select().order_by(models.Measure.id)
        if "各县(市、区)" in m.printed_units["responsible"]
    )
    via = models.Assignment.select().where(
        models.Assignment.measure == measure, models.Assignment.via_group == group
    )
    assert {a.unit_id for a in via} == {m.id for m in members}
    assert all(a.printed_name == "各县(市、区)" for a in via)
    assert not models.Assignment.select().where(models.Assignment.unit == group).exists()


def test_a_corrected_file_updates_a_reworded_measure_archives_a_dropped_one_and_keeps_reports(
    database, tmp_path, shipped_plans
):
    xunyi = next(p for p in shipped_plans if p.name == "xunyi-2024.yaml")
    load_plans([xunyi])
    kept = models.Measure.get(models.Measure.code == "1.2")
    assignment = models.Assignment.select().where(models.Assignment.measure == kept).first()
    dropped = models.Measure.get(models.Measure.code == "1.3")
    dropped_assignment = models.Assignment.select().where(models.Assignment.measure == dropped).first()
    with write_transaction():
        for a in (assignment, dropped_assignment):
            report = models.Report.create(
                assignment=a, period="2024-05", created_at=datetime(2024, 5, 20, tzinfo=TZ)
            )
            models.ReportRevision.create(
                report=report,
                number=1,
                recorded_at=datetime(2024, 5, 20, tzinfo=TZ),
                percent=40,
                narrative="已完成集中排查",
            )

    data = read_plan(xunyi)
    action = data["sections"][0]
    action["measures"][1]["title"] = "全面开展集中排查(修订)"
    del action["measures"][2]
    summaries = load_plans([write_plan(tmp_path / "xunyi-corrected.yaml", data)])

    assert summaries[0].updated["measure"] == 1
    assert summaries[0].archived["measure"] == 1
    assert models.Measure.get_by_id(kept.id).title == "全面开展集中排查(修订)"
    assert models.Measure.get_by_id(dropped.id).archived_at is not None
    assert models.Report.select().count() == 2
    assert models.ReportRevision.select().where(models.ReportRevision.percent == 40).count() == 2
    summary = next(s for s in plan_summaries() if s.code == "xunyi-2024")
    assert (summary.measures, summary.archived) == (37, 1)

    load_plans([xunyi])  # the original file brings the archived measure back, reports and all
    assert models.Measure.get_by_id(dropped.id).archived_at is None
    assert models.Measure.get_by_id(kept.id).title == "全面开展集中排查"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["sections"][0]["measures"][0].update(lead=["县不存在局"]), "县不存在局"),
        (lambda d: d["sections"][0]["measures"][0].update(deadline="2024-13-40"), "2024-13-40"),
        (
            lambda d: d["sections"][0]["measures"][1].update(code=d["sections"][0]["measures"][0]["code"]),
            "措施编号重复",
        ),
    ],
    ids=["unknown unit", "bad date", "duplicate code"],
)
def test_a_bad_plan_file_is_refused_naming_the_place_and_nothing_changes(
    database, tmp_path, shipped_plans, change, expected
):
    load_plans([p for p in shipped_plans if p.name != "xunyi-2024.yaml"])
    before = snapshot_rows()
    events = models.AuditEvent.select().count()
    data = read_plan(next(p for p in shipped_plans if p.name == "xunyi-2024.yaml"))
    change(data)
    bad = write_plan(tmp_path / "bad.yaml", data)
    with pytest.raises(LoadError) as caught:
        load_plans([bad])
    message = str(caught.value)
    assert expected in message
    assert "bad.yaml" in message
    assert snapshot_rows() == before
    assert models.AuditEvent.select().count() == events


def test_every_unresolved_unit_is_listed_and_nothing_is_loaded(database, tmp_path, shipped_plans):
    data = read_plan(next(p for p in shipped_plans if p.name == "zixing-2021.yaml"))
    data["sections"][0]["measures"][0]["lead"] = ["市甲局"]
    data["sections"][1]["measures"][0]["responsible"] = ["市乙局", "市丙局"]
    bad = write_plan(tmp_path / "zixing.yaml", data)
    good = next(p for p in shipped_plans if p.name == "ankang-2023.yaml")
    with pytest.raises(LoadError) as caught:
        load_plans([good, bad])
    names = [p.reason for p in caught.value.problems]
    assert len(names) == 3 and all(any(n in r for r in names) for n in ("市甲局", "市乙局", "市丙局"))
    assert not models.Plan.select().exists()


def test_a_dry_run_reports_the_changes_and_writes_nothing(database, shipped_plans):
    summaries = load_plans(shipped_plans, dry_run=True)
    # ankang, xunyi, zixing, chongqing's counties and pilots
    assert sum(s.created["measure"] for s in summaries) == 46 + 38 + 24 + 48 + 12
    assert not models.Plan.select().exists()
    assert not models.AuditEvent.select().exists()


def test_every_loaded_row_is_audited_and_the_chain_verifies(database, shipped_plans):
    load_plans(shipped_plans, actor="admin")
    events = models.AuditEvent.select()
    created = events.where(models.AuditEvent.action == "measure.create").count()
    assert created == 46 + 38 + 24 + 48 + 12
    assert {e.actor for e in events} == {"admin"}
    assert audit.verify().ok


def test_an_indicator_keeps_its_kind_and_direction_and_an_impossible_target_is_refused(
    database, tmp_path, shipped_plans
):
    data = read_plan(next(p for p in shipped_plans if p.name == "xunyi-2024.yaml"))
    measure = data["sections"][0]["measures"][0]
    measure["indicators"] = [
        {"name": "贷款逾期率", "unit": "%", "kind": "rate", "direction": "down", "target": 0.5},
        {"name": "危房改造竣工", "unit": "户", "target": 60},
    ]
    good = write_plan(tmp_path / "good.yaml", data)
    load_plans([good])
    stored = {i.name: (i.kind, i.direction, i.cumulative) for i in models.Indicator.select()}
    assert stored["贷款逾期率"] == ("rate", "down", False)
    assert stored["危房改造竣工"] == ("count", "up", True)  # 户 counts whole households

    measure["indicators"][1]["target"] = 60.5
    measure["indicators"][0]["direction"] = "lower"
    with pytest.raises(LoadError) as caught:
        load_plans([write_plan(tmp_path / "bad.yaml", data)])
    assert "60.5 不是整数" in str(caught.value)
    assert "'lower' 应为 up(不低于目标) 或 down(不高于目标)" in str(caught.value)


def test_a_measure_without_a_lead_loads_with_a_warning_and_its_units_answer_for_their_own_parts(
    database, tmp_path, shipped_plans
):
    """各地各部门按职责分工负责: the notice names no lead; `tracker convert` writes `lead: []`."""
    from tracker.rules.periods import Period
    from tracker.services import boards
    from tracker.services.publishing import publish

    data = read_plan(next(p for p in shipped_plans if p.name == "xunyi-2024.yaml"))
    measure = data["sections"][0]["measures"][0]
    units = list(measure["lead"]) + list(measure.get("responsible") or [])
    measure["lead"] = []
    measure["responsible"] = units
    measure["leaders"] = ["县委副书记"]
    summaries = load_plans([write_plan(tmp_path / "nolead.yaml", data)])
    warnings = [w.reason for s in summaries for w in s.warnings]
    assert any("未写明牵头单位" in w for w in warnings), warnings

    stored = models.Measure.get(models.Measure.code == str(measure["code"]))
    roles = {a.role for a in models.Assignment.select().where(models.Assignment.measure == stored)}
    assert roles == {"responsible"}

    plan = boards.plan_by_code(data["plan"]["code"])
    board, _ = boards.monthly_board(plan, Period(2024, 6))
    line = next(m for m in board.measures if m.code == stored.code)
    assert len(line.lead) == len(units)  # with no lead printed, every unit answers as one
    published = publish(plan.code, ["2024-06"], tmp_path / "sites")
    assert published.written
