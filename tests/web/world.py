"""A small, complete world for access tests: two units with one of everything each, and people of every role.

Unit A (测试市甲局) is "own" for the unit people signed in (clerk, boss); unit B (测试市乙局) is
"other". Each unit has an assignment, a report with a revision, an evidence file, a finding with an
event, a reminder, an extension request and a rectification list, so a route keyed by any of them
can be asked for both units. Loading is tiny, so it is quick on PostgreSQL too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from tracker.clock import now
from tracker.plans.load import load_plans
from tracker.services.evidence import check_upload
from tracker.services.reports import ReportInput, save_revision
from tracker.services.scoping import Scope
from tracker.services.users import add_user
from tracker.store.db import write_transaction
from tracker.store.models import (
    Assignment,
    Evidence,
    ExtensionRequest,
    Finding,
    FindingEvent,
    Inspection,
    Measure,
    Plan,
    RectificationList,
    Reminder,
    Report,
    ReportRevision,
    Unit,
    User,
)

PASSWORD = "correct horse battery"
NOW = "2024-05-20T10:00:00+08:00"  # a working Monday, before May's due day
PERIOD = "2024-05"  # the month being reported, with a revision on file for each unit
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40

PLAN_YAML = """\
plan:
  code: matrix-2024
  title: 访问测试方案
  start: 2024-01-01
  end: 2024-12-31
units:
  - {name: 测试市甲局, short: 甲局}
  - {name: 测试市乙局, short: 乙局}
  - {name: 测试市各县, short: 各县, kind: group, members: [一县, 二县]}
  - {name: 测试市一县, short: 一县, kind: county}
  - {name: 测试市二县, short: 二县, kind: county}
sections:
  - code: "1"
    title: 第一部分
    measures:
      - code: "1.1"
        title: 甲局牵头的措施
        lead: [甲局]
        responsible: [乙局]
        deadline: 2024-10-31
        indicators:
          - {code: toilets, name: 改建卫生厕所, unit: 座, target: 100, milestones: [{date: 2024-06-30, value: 50}]}
      - code: "1.2"
        title: 乙局牵头的措施
        lead: [乙局]
        responsible: [甲局]
        deadline: 2024-12-31
        indicators:
          - {code: villages, name: 覆盖村数, unit: 个, target: 20}
      - {code: "1.3", title: 各县落实的措施, lead: [各县], recurring: monthly}
"""

# username → (role, unit key): the people the tests sign in as, and a spare person in each unit.
PEOPLE = {
    "clerk": ("reporter", "a"),
    "boss": ("unit_leader", "a"),
    "other": ("reporter", "b"),
    "other_boss": ("unit_leader", "b"),
    "inspector": ("inspector", None),
    "leader": ("leader", None),
    "admin": ("admin", None),
    "spare_a": ("reporter", "a"),
    "spare_b": ("reporter", "b"),
}


@dataclass
class Side:
    """One unit's objects: everything a route may be asked about for that unit."""

    unit: Unit
    assignment: Assignment
    report: Report
    revision: ReportRevision
    evidence: Evidence
    finding: Finding
    finding_event: FindingEvent
    reminder: Reminder
    extension: ExtensionRequest
    rectification: RectificationList
    clerk: User
    spare: User


@dataclass
class World:
    plan: Plan
    own: Side
    other: Side
    group: Unit
    members: list[Unit]
    inspection: Inspection
    people: dict[str, User]
    upload_dir: Path
    period: str = PERIOD
    extra: dict = field(default_factory=dict)

    def side(self, name: str) -> Side:
        return self.own if name == "own" else self.other


def build_world(upload_dir: Path, tmp_path: Path) -> World:
    """Load the small plan, add the people and one of every object for each unit."""
    plan_file = tmp_path / "matrix-2024.yaml"
    plan_file.write_text(PLAN_YAML, encoding="utf-8")
    load_plans([plan_file], actor="fixture")
    units = {
        "a": Unit.get(Unit.name == "测试市甲局"),
        "b": Unit.get(Unit.name == "测试市乙局"),
    }
    people = {
        name: add_user(
            name, role, units[key].name if key else None, PASSWORD, display_name=name, must_change=False
        )[0]
        for name, (role, key) in PEOPLE.items()
    }
    plan = Plan.get(Plan.code == "matrix-2024")
    group = Unit.get(Unit.name == "测试市各县")
    members = [Unit.get(Unit.name == "测试市一县"), Unit.get(Unit.name == "测试市二县")]
    with write_transaction():
        inspection = Inspection.create(
            plan=plan,
            title="四月督查",
            held_on=date(2024, 4, 28),
            created_by=people["inspector"],
            created_at=now(),
        )
        own = _side(
            plan, units["a"], "1.1", people["clerk"], people["spare_a"], people, inspection, upload_dir
        )
        other = _side(
            plan, units["b"], "1.2", people["other"], people["spare_b"], people, inspection, upload_dir
        )
    return World(plan, own, other, group, members, inspection, people, upload_dir)


def _side(plan, unit, measure_code, clerk, spare, people, inspection, upload_dir: Path) -> Side:
    measure = Measure.get(Measure.plan == plan, Measure.code == measure_code)
    assignment = Assignment.get(Assignment.measure == measure, Assignment.unit == unit)
    indicator = measure.indicators.first()
    # The report, its first revision and an evidence file, saved the way a clerk saves them.
    saved = save_revision(
        Scope.of(clerk),
        assignment.id,
        PERIOD,
        ReportInput(
            percent=40,
            narrative=f"{unit.short}五月进展",
            indicator_values={indicator.code: Decimal(12)} if indicator else {},
        ),
        [check_upload("现场照片.png", PNG)],
        expected_revision_number=0,
        upload_dir=upload_dir,
    )
    revision = ReportRevision.get_by_id(saved.revision.id)
    report = Report.get_by_id(revision.report_id)
    evidence = Evidence.get(Evidence.revision == revision)
    with write_transaction():
        return _side_rest(
            plan, unit, measure, assignment, report, revision, evidence, clerk, spare, people, inspection
        )


def _side_rest(plan, unit, measure, assignment, report, revision, evidence, clerk, spare, people, inspection):
    moment = now()
    rectification = RectificationList.create(
        unit=unit, plan=plan, title=f"{unit.short}整改清单", issued_by=people["inspector"], issued_at=moment
    )
    finding = Finding.create(
        plan=plan,
        inspection=inspection,
        unit=unit,
        measure=measure,
        rectification_list=rectification,
        title=f"{unit.short}台账不全",
        rectify_by=date(2024, 6, 30),
        created_by=people["inspector"],
        created_at=moment,
    )
    finding_event = FindingEvent.create(finding=finding, kind="opened", by=people["inspector"], at=moment)
    reminder = Reminder.create(
        key=f"manual:{unit.id}:{PERIOD}",
        kind="manual",
        unit=unit,
        assignment=assignment,
        period=PERIOD,
        message=f"请{unit.short}按时报送",
        created_by="inspector",
        created_at=moment,
    )
    # Decided already, so that the unit may ask again (one open request at a time).
    extension = ExtensionRequest.create(
        assignment=assignment,
        requested_by=clerk,
        requested_at=moment,
        current_deadline=measure.deadline,
        requested_deadline=date(2025, 3, 31),
        reason="受汛期影响",
        decision="refused",
        decided_by=people["inspector"],
        decided_at=moment,
        decision_reason="理由不充分",
    )
    return Side(
        unit, assignment, report, revision, evidence, finding, finding_event, reminder, extension, rectification,
        clerk, spare,
    )  # fmt: skip
