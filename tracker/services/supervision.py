"""The inspection office's work (督查室): overview, extensions, inspections and findings, rectification
lists, confirming completion, bulletin commentary and quality ratings.

No Flask here: the office's pages, the leaders' pages, the demo and the tests call these functions.
Every change is office-only (a unit only answers its own findings), writes its history row and its
audit event in one transaction, and every read of a unit's data goes through `Scope`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import peewee as pw
from peewee import JOIN

from tracker.clock import now
from tracker.rules import lights as rl
from tracker.rules.lights import Rag
from tracker.rules.periods import Period, Quarter, Year, due_moment, end_of_minute, local_date, parse_window
from tracker.rules.progress import read
from tracker.rules.snapshot import code_key
from tracker.rules.status import period_status
from tracker.services.facts import PlanFacts, gather, reporting_rules
from tracker.services.scoping import OFFICE_ROLES, OutOfScope, Scope
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import (
    Assignment,
    Bulletin,
    Completion,
    Evidence,
    ExtensionRequest,
    Finding,
    FindingEvent,
    Inspection,
    Measure,
    Plan,
    QualityRating,
    RectificationList,
    Reminder,
    Section,
    Setting,
    Unit,
    User,
)

LIGHT_LABELS = {"red": "红灯", "amber": "黄灯", "green": "绿灯", "done": "已办结", "not_started": "未开始"}
REPORT_LABELS = {"on_time": "按时报送", "late": "迟报", "missing": "缺报", "not_due": "未到期"}
SEVERITY_LABELS = {"general": "一般", "serious": "较重", "critical": "严重"}
STATE_LABELS = {"open": "待整改", "answered": "已反馈待核查", "closed": "已销号"}
EVENT_LABELS = {
    "open": "立项",
    "send": "下发整改清单",
    "answer": "单位反馈",
    "close": "销号",
    "reopen": "重新打开",
}
DECISION_LABELS = {"approved": "已批准", "refused": "未批准", None: "待审核"}

TITLE_LIMIT = 200
TEXT_LIMIT = 5_000
COMMENTARY_LIMIT = 50_000
OFFICE_NAME_SETTING = "office_name"


class SupervisionError(ValueError):
    """A change that is refused for a reason the office (or the unit) can act on."""


def _office(scope: Scope, what: str) -> None:
    """Only the inspection office (and admins) change supervision records; a refusal reads as 'not found'."""
    if scope.role not in OFFICE_ROLES:
        raise OutOfScope(what)


def _text(value: str | None, label: str, *, required: bool = True, limit: int = TEXT_LIMIT) -> str:
    text = (value or "").strip()
    if required and not text:
        raise SupervisionError(f"请填写{label}")
    if len(text) > limit:
        raise SupervisionError(f"{label}不能超过 {limit} 字")
    return text


def _names(user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({i for i in user_ids if i})
    if not ids:
        return {}
    return {u.id: u.display_name for u in User.select(User.id, User.display_name).where(User.id.in_(ids))}


# ---------------------------------------------------------------- overview


def reporting_period(plan: Plan, as_of: datetime) -> Period:
    """The period whose reports the office is checking at `as_of`: the current month once its due
    day has passed (23:59), otherwise the month before; kept within the plan's months."""
    period = Period.of(local_date(as_of))
    if as_of <= end_of_minute(due_moment(period, reporting_rules(plan))):
        period = period.prev()
    first, last = Period.of(plan.start), Period.of(plan.end)
    return max(first, min(period, last))


def month_before(as_of: datetime) -> datetime:
    """The same moment one calendar month earlier (31 March → 29 February): "since last month"."""
    day = local_date(as_of)
    prev = Period.of(day).prev()
    return as_of.replace(year=prev.year, month=prev.month, day=min(day.day, prev.last_day.day))


@dataclass(frozen=True)
class SectionInfo:
    code: str
    title: str
    top_code: str
    top_title: str
    chain: tuple[str, ...]  # own code and every parent's


def sections_of(plan: Plan) -> tuple[dict[int, SectionInfo], dict[str, int]]:
    """Every section of the plan with its top-level section; and measure code → section id."""
    rows = {s.id: s for s in Section.select().where(Section.plan == plan.id)}
    infos = {}
    for sid, s in rows.items():
        chain, top = [s.code], s
        while top.parent_id and top.parent_id in rows:
            top = rows[top.parent_id]
            chain.append(top.code)
        infos[sid] = SectionInfo(s.code, s.title, top.code, top.title, tuple(chain))
    measures = {
        m.code: m.section_id
        for m in Measure.select(Measure.code, Measure.section).where(Measure.plan == plan.id)
    }
    return infos, measures


@dataclass(frozen=True)
class AssignmentRow:
    """One unit's duty on one measure as the office sees it at a moment."""

    assignment_id: int
    plan_code: str
    section_code: str
    section_title: str
    top_section_code: str
    top_section_title: str
    measure_code: str
    measure_title: str
    unit_id: int
    unit_name: str
    unit_label: str
    role: str
    deadline: date | None
    light: str
    reasons: tuple[str, ...]
    period: str
    report: str
    report_reason: str
    percent: int | None


@dataclass(frozen=True)
class Overview:
    plan: Plan
    as_of: datetime
    period: Period
    rows: tuple[AssignmentRow, ...]  # after the filters
    total: int  # before the filters
    lights: Mapping[str, int]  # of the filtered rows
    reports: Mapping[str, int]
    sections: tuple[tuple[str, str], ...]  # top-level (code, title), for the filter
    units: tuple[tuple[int, str], ...]  # (id, label), for the filter


def _rows(plan: Plan, facts: PlanFacts, as_of: datetime, period: Period) -> list[AssignmentRow]:
    sections, measure_section = sections_of(plan)
    unit_rows = {u.name: u for u in Unit.select().where(Unit.name.in_(list(facts.unit_ids) or [""]))}
    rows = []
    for f in facts.assignments:
        reading = read(f, facts.rules, as_of)
        light = rl.light_of(reading)
        state = period_status(reading, period)
        info = sections.get(measure_section.get(f.measure_code))
        unit = unit_rows[f.unit.name]
        rows.append(
            AssignmentRow(
                assignment_id=f.id,
                plan_code=plan.code,
                section_code=info.code if info else "",
                section_title=info.title if info else "",
                top_section_code=info.top_code if info else "",
                top_section_title=info.top_title if info else "",
                measure_code=f.measure_code,
                measure_title=f.measure_title,
                unit_id=unit.id,
                unit_name=unit.name,
                unit_label=unit.label,
                role=f.role.value,
                deadline=reading.deadline,
                light=light.rag.value,
                reasons=light.reasons,
                period=str(period),
                report=state.status.value,
                report_reason=state.reason,
                percent=reading.percent,
            )
        )
    rows.sort(key=lambda r: (code_key(r.measure_code), r.role != "lead", r.unit_name))
    return rows


def overview(
    plan: Plan,
    as_of: datetime,
    *,
    section: str | None = None,
    unit_id: int | None = None,
    light: str | None = None,
    report: str | None = None,
    period: Period | None = None,
) -> Overview:
    """Every assignment of `plan` with its light as of `as_of` and its report status for `period`
    (default: `reporting_period`), narrowed by section (a section code and everything under it),
    unit, light and report status."""
    period = period or reporting_period(plan, as_of)
    facts = gather(plan, as_of)
    rows = _rows(plan, facts, as_of, period)
    total = len(rows)
    units = sorted({(r.unit_id, r.unit_label) for r in rows}, key=lambda u: u[1])
    sections, _ = sections_of(plan)
    section_of = {info.code: info.chain for info in sections.values()}
    if section:
        rows = [r for r in rows if section in section_of.get(r.section_code, ())]
    if unit_id:
        rows = [r for r in rows if r.unit_id == unit_id]
    if light:
        rows = [r for r in rows if r.light == light]
    if report:
        rows = [r for r in rows if r.report == report]
    tops = sorted({(i.top_code, i.top_title) for i in sections.values()}, key=lambda t: code_key(t[0]))
    return Overview(
        plan,
        as_of,
        period,
        tuple(rows),
        total,
        Counter(r.light for r in rows),
        Counter(r.report for r in rows),
        tuple(tops),
        tuple(units),
    )


@dataclass(frozen=True)
class PlanLights:
    """A plan's measures by light and its assignments' reports for the period being checked."""

    plan: Plan
    period: Period
    measures: Mapping[str, int]
    missing: int
    late: int
    open_findings: int
    overdue_findings: int
    pending_extensions: int
    pending_completions: int


def plan_lights(as_of: datetime) -> list[PlanLights]:
    """For every plan: its measures' lights as of `as_of`, and what needs the office's attention."""
    out = []
    today = local_date(as_of)
    for plan in Plan.select().order_by(Plan.code):
        facts = gather(plan, as_of)
        period = reporting_period(plan, as_of)
        by_measure: dict[str, list] = {}
        statuses = Counter()
        pending_done = 0
        for f in facts.assignments:
            by_measure.setdefault(f.measure_code, []).append(f)
            reading = read(f, facts.rules, as_of)
            statuses[period_status(reading, period).status.value] += 1
            if reading.current is not None and reading.current.complete and reading.done_since() is None:
                pending_done += 1
        measures = Counter(
            rl.measure_light(items, facts.rules, as_of).rag.value for items in by_measure.values()
        )
        open_q = Finding.select().where(
            Finding.plan == plan.id, Finding.state != "closed", Finding.created_at <= as_of
        )
        pending = (
            ExtensionRequest.select()
            .join(Assignment)
            .join(Measure)
            .where(Measure.plan == plan.id, ExtensionRequest.decision.is_null())
        )
        out.append(
            PlanLights(
                plan,
                period,
                measures,
                statuses["missing"],
                statuses["late"],
                open_q.count(),
                open_q.where(Finding.rectify_by < today).count(),
                pending.count(),
                pending_done,
            )
        )
    return out


@dataclass(frozen=True)
class ChaseRow:
    row: AssignmentRow
    reminders: int  # chases already logged for this assignment and period


def missing_and_late(plan: Plan, as_of: datetime, period: Period | None = None) -> list[ChaseRow]:
    """The assignments whose report for `period` (default `reporting_period`) is missing or late as of
    `as_of`, missing first, then by unit and measure; with how often each was chased."""
    view = overview(plan, as_of, period=period)
    rows = [r for r in view.rows if r.report in ("missing", "late")]
    counts = Counter(
        r.assignment_id
        for r in Reminder.select(Reminder.assignment).where(
            Reminder.assignment.in_([r.assignment_id for r in rows] or [0]),
            Reminder.period == str(view.period),
            Reminder.created_at <= as_of,
        )
    )
    rows.sort(key=lambda r: (r.report != "missing", r.unit_label, code_key(r.measure_code)))
    return [ChaseRow(r, counts.get(r.assignment_id, 0)) for r in rows]


@dataclass(frozen=True)
class LightCount:
    red: int = 0
    amber: int = 0
    green: int = 0
    done: int = 0
    not_started: int = 0

    @property
    def total(self) -> int:
        return self.red + self.amber + self.green + self.done + self.not_started

    def get(self, light: str) -> int:
        return getattr(self, light)


@dataclass(frozen=True)
class MatrixRow:
    unit_id: int
    unit_label: str
    cells: Mapping[str, LightCount]  # plan code → counts of this unit's assignments by light

    @property
    def red(self) -> int:
        return sum(c.red for c in self.cells.values())

    @property
    def amber(self) -> int:
        return sum(c.amber for c in self.cells.values())


@dataclass(frozen=True)
class Matrix:
    plans: tuple[Plan, ...]
    rows: tuple[MatrixRow, ...]


def unit_matrix(as_of: datetime) -> Matrix:
    """Every unit × every plan: how many of the unit's assignments in the plan show each light as of
    `as_of`. Units with most red first, then most amber, then by name."""
    plans = tuple(Plan.select().order_by(Plan.code))
    cells: dict[int, dict[str, Counter]] = {}
    labels: dict[int, str] = {}
    for plan in plans:
        facts = gather(plan, as_of)
        for f in facts.assignments:
            uid = facts.unit_ids[f.unit.name]
            labels[uid] = f.unit.label
            cells.setdefault(uid, {}).setdefault(plan.code, Counter())[
                rl.assignment_light(f, facts.rules, as_of).rag.value
            ] += 1
    rows = [
        MatrixRow(uid, labels[uid], {code: LightCount(**counts) for code, counts in per_plan.items()})
        for uid, per_plan in cells.items()
    ]
    rows.sort(key=lambda r: (-r.red, -r.amber, r.unit_label))
    return Matrix(plans, tuple(rows))


@dataclass(frozen=True)
class LightChange:
    measure_code: str
    measure_title: str
    unit_label: str | None  # None for the measure's own light (through its leads)
    assignment_id: int | None
    before: str
    after: str
    reasons: tuple[str, ...]

    @property
    def worse(self) -> bool:
        return rl.SEVERITY[Rag(self.after)] > rl.SEVERITY[Rag(self.before)]


def light_changes(
    plan: Plan, since: datetime, until: datetime
) -> tuple[list[LightChange], list[LightChange]]:
    """What changed between `since` and `until`: the measures whose light changed, and the
    assignments whose light changed; each in measure order, worse ones first."""
    facts = gather(plan, until)
    by_measure: dict[str, list] = {}
    assignments = []
    for f in facts.assignments:
        by_measure.setdefault(f.measure_code, []).append(f)
        before = rl.assignment_light(f, facts.rules, since)
        after = rl.assignment_light(f, facts.rules, until)
        if before.rag != after.rag:
            assignments.append(
                LightChange(
                    f.measure_code, f.measure_title, f.unit.label, f.id, before.rag, after.rag, after.reasons
                )
            )
    measures = []
    for code, items in by_measure.items():
        before = rl.measure_light(items, facts.rules, since)
        after = rl.measure_light(items, facts.rules, until)
        if before.rag != after.rag:
            title = next((i.measure_title for i in items if i.measure_title), "")
            measures.append(LightChange(code, title, None, None, before.rag, after.rag, after.reasons))

    def key(change: LightChange):
        return (not change.worse, code_key(change.measure_code), change.unit_label or "")

    return sorted(measures, key=key), sorted(assignments, key=key)


# ---------------------------------------------------------------- one assignment, one measure


@dataclass(frozen=True)
class PeriodLine:
    period: str
    status: str
    reason: str
    submitted_at: datetime | None


@dataclass(frozen=True)
class RevisionLine:
    id: int
    period: str
    number: int
    author: str
    recorded_at: datetime
    percent: int | None
    complete: bool
    returned: str | None  # the return reason, when returned


@dataclass(frozen=True)
class AssignmentDetail:
    assignment: Assignment
    measure: Measure
    plan: Plan
    unit: Unit
    as_of: datetime
    light: str
    reasons: tuple[str, ...]
    deadline: date | None  # in force, after approved extensions
    percent: int | None
    done: bool
    awaiting_confirmation: bool
    periods: tuple[PeriodLine, ...]  # newest first
    revisions: tuple[RevisionLine, ...]  # newest first
    extensions: tuple[ExtensionRequest, ...]
    completions: tuple[Completion, ...]
    findings: tuple[Finding, ...]
    reminders: tuple[Reminder, ...]
    names: Mapping[int, str]


def _facts_of(assignment: Assignment, as_of: datetime):
    plan = assignment.measure.plan
    facts = gather(plan, as_of, unit_id=assignment.unit_id)
    found = next((f for f in facts.assignments if f.id == assignment.id), None)
    return plan, facts, found


def assignment_detail(scope: Scope, assignment_id: int, as_of: datetime | None = None) -> AssignmentDetail:
    """One assignment with its light and reasons, every period's report status, every revision, and
    the history of extensions, completions, findings and chases."""
    from tracker.store.models import Report, ReportReturn, ReportRevision

    as_of = as_of or now()
    assignment = scope.assignment(assignment_id)
    measure = assignment.measure
    plan, facts, f = _facts_of(assignment, as_of)
    periods: list[PeriodLine] = []
    light, reasons, deadline, percent, done, awaiting = (
        "not_started",
        (),
        measure.deadline,
        None,
        False,
        False,
    )
    if f is not None:
        reading = read(f, facts.rules, as_of)
        lt = rl.light_of(reading)
        light, reasons, deadline, percent = lt.rag.value, lt.reasons, reading.deadline, reading.percent
        done = reading.done_since() is not None
        awaiting = not done and reading.current is not None and reading.current.complete
        period = Period.of(min(local_date(as_of), plan.end))
        first = Period.of(f.start)
        while period >= first:
            state = period_status(reading, period)
            periods.append(PeriodLine(str(period), state.status.value, state.reason, state.submitted_at))
            period = period.prev()
    revisions = list(
        ReportRevision.select(ReportRevision, Report)
        .join(Report)
        .where(Report.assignment == assignment.id)
        .order_by(Report.period.desc(), ReportRevision.number.desc())
    )
    returns = {
        r.revision_id: r.reason
        for r in ReportReturn.select().where(ReportReturn.revision.in_([r.id for r in revisions] or [0]))
    }
    extensions = tuple(
        ExtensionRequest.select()
        .where(ExtensionRequest.assignment == assignment.id)
        .order_by(ExtensionRequest.requested_at.desc(), ExtensionRequest.id.desc())
    )
    completions = tuple(
        Completion.select().where(Completion.assignment == assignment.id).order_by(Completion.at.desc())
    )
    findings = tuple(
        Finding.select()
        .where(Finding.unit == assignment.unit_id, Finding.measure == measure.id)
        .order_by(Finding.created_at.desc())
    )
    reminders = tuple(
        Reminder.select()
        .where(Reminder.assignment == assignment.id)
        .order_by(Reminder.created_at.desc())
        .limit(50)
    )
    names = _names(
        [r.author_id for r in revisions]
        + [e.requested_by_id for e in extensions]
        + [e.decided_by_id for e in extensions]
        + [c.by_id for c in completions]
    )
    return AssignmentDetail(
        assignment,
        measure,
        plan,
        assignment.unit,
        as_of,
        light,
        reasons,
        deadline,
        percent,
        done,
        awaiting,
        tuple(periods),
        tuple(
            RevisionLine(
                r.id,
                r.report.period,
                r.number,
                names.get(r.author_id, "导入" if r.author_id is None else "?"),
                r.recorded_at,
                r.percent,
                r.complete,
                returns.get(r.id),
            )
            for r in revisions
        ),
        extensions,
        completions,
        findings,
        reminders,
        names,
    )


@dataclass(frozen=True)
class MeasureUnitLine:
    assignment_id: int
    unit_label: str
    role: str
    light: str
    reasons: tuple[str, ...]
    percent: int | None


@dataclass(frozen=True)
class MeasureOverview:
    plan: Plan
    measure: Measure
    light: str
    reasons: tuple[str, ...]
    units: tuple[MeasureUnitLine, ...]


def measure_overview(plan: Plan, measure_code: str, as_of: datetime) -> MeasureOverview | None:
    """A measure's light through its leads and every unit's light on it, as of `as_of`."""
    measure = Measure.get_or_none(Measure.plan == plan.id, Measure.code == measure_code)
    if measure is None:
        return None
    facts = gather(plan, as_of)
    items = [f for f in facts.assignments if f.measure_code == measure_code]
    if not items:
        return MeasureOverview(plan, measure, "not_started", (), ())
    light = rl.measure_light(items, facts.rules, as_of)
    lines = []
    for f in sorted(items, key=lambda f: (f.role != "lead", f.unit.name)):
        reading = read(f, facts.rules, as_of)
        lt = rl.light_of(reading)
        lines.append(
            MeasureUnitLine(f.id, f.unit.label, f.role.value, lt.rag.value, lt.reasons, reading.percent)
        )
    return MeasureOverview(plan, measure, light.rag.value, light.reasons, tuple(lines))


# ---------------------------------------------------------------- extension requests (延期申请)


@dataclass(frozen=True)
class ExtensionRow:
    request: ExtensionRequest
    plan_code: str
    measure_code: str
    measure_title: str
    unit_label: str
    requested_by: str
    decided_by: str | None

    @property
    def decision_label(self) -> str:
        return DECISION_LABELS.get(self.request.decision, "待审核")


def extension_requests(
    scope: Scope, state: str = "pending", plan_id: int | None = None
) -> list[ExtensionRow]:
    """Extension requests the person may read: `pending` (oldest first), `decided` or `all` (newest first)."""
    query = (
        ExtensionRequest.select(ExtensionRequest, Assignment, Measure, Plan, Unit)
        .join(Assignment)
        .join(Measure)
        .join(Plan)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
    )
    query = scope.restrict(query, Assignment.unit)
    if plan_id:
        query = query.where(Measure.plan == plan_id)
    if state == "pending":
        query = query.where(ExtensionRequest.decision.is_null()).order_by(ExtensionRequest.requested_at)
    else:
        if state == "decided":
            query = query.where(ExtensionRequest.decision.is_null(False))
        query = query.order_by(ExtensionRequest.requested_at.desc(), ExtensionRequest.id.desc())
    rows = list(query)
    names = _names([r.requested_by_id for r in rows] + [r.decided_by_id for r in rows])
    return [
        ExtensionRow(
            r,
            r.assignment.measure.plan.code,
            r.assignment.measure.code,
            r.assignment.measure.title,
            r.assignment.unit.label,
            names.get(r.requested_by_id, "?"),
            names.get(r.decided_by_id) if r.decided_by_id else None,
        )
        for r in rows
    ]


def extension_request(scope: Scope, request_id: int) -> ExtensionRow:
    """One extension request, if its unit is in scope."""
    row = ExtensionRequest.get_or_none(ExtensionRequest.id == request_id)
    if row is None:
        raise OutOfScope(f"extension {request_id}")
    scope.assignment(row.assignment_id)
    found = [r for r in extension_requests(scope, "all") if r.request.id == request_id]
    return found[0]


def decide_extension(
    scope: Scope,
    request_id: int,
    *,
    approve: bool,
    new_deadline: date | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> ExtensionRequest:
    """The office approves a request with a new completion deadline (default: the one asked for), or
    refuses it with a reason. A request is decided once; the unit asks again for another decision.
    The rules read the approval from its decision moment on: the light follows the new deadline."""
    _office(scope, f"decide extension {request_id}")
    at = at or now()
    reason = _text(reason, "不予批准的理由" if not approve else "审核意见", required=not approve)
    with write_transaction():
        row = ExtensionRequest.get_or_none(ExtensionRequest.id == request_id)
        if row is None:
            raise OutOfScope(f"extension {request_id}")
        if row.decision is not None:
            raise SupervisionError(
                f"该申请已于 {local_date(row.decided_at):%Y-%m-%d} 审核，不能再改；请单位重新申请"
            )
        before = {"decision": None}
        if approve:
            day = new_deadline or row.requested_deadline
            floor = row.current_deadline or row.assignment.measure.deadline
            if floor is not None and day <= floor:
                raise SupervisionError(f"批准的新期限应晚于原完成时限（{floor:%Y-%m-%d}）")
            row.decision, row.new_deadline = "approved", day
        else:
            row.decision, row.new_deadline = "refused", None
        row.decided_by, row.decided_at, row.decision_reason = scope.user_id, at, reason
        row.save()
        audit.record(
            scope.username,
            "extension.decide",
            "extension_request",
            row.id,
            before,
            {
                "decision": row.decision,
                "new_deadline": row.new_deadline,
                "reason": reason,
                "assignment": row.assignment_id,
            },
        )
    return row


# ---------------------------------------------------------------- inspections and findings (督查, 问题台账)


def create_inspection(
    scope: Scope,
    *,
    title: str,
    held_on: date,
    plan_id: int | None = None,
    notes: str = "",
    at: datetime | None = None,
) -> Inspection:
    """Record an inspection (督查): what was looked at and when; its notes stay internal."""
    _office(scope, "create inspection")
    title = _text(title, "督查名称", limit=TITLE_LIMIT)
    notes = _text(notes, "督查记录", required=False)
    at = at or now()
    if held_on > local_date(at):
        raise SupervisionError("督查日期不能晚于今天")
    with write_transaction():
        if plan_id is not None and not Plan.select().where(Plan.id == plan_id).exists():
            raise SupervisionError("没有这个方案")
        row = Inspection.create(
            plan=plan_id, title=title, held_on=held_on, notes=notes, created_by=scope.user_id, created_at=at
        )
        audit.record(
            scope.username,
            "inspection.create",
            "inspection",
            row.id,
            None,
            {"title": title, "held_on": held_on, "plan": plan_id, "notes": notes},
        )
    return row


def _event(finding: Finding, kind: str, scope: Scope, at: datetime, note: str, before: dict, after: dict):
    event = FindingEvent.create(finding=finding.id, kind=kind, by=scope.user_id, at=at, note=note)
    audit.record(
        scope.username,
        f"finding.{kind}",
        "finding",
        finding.id,
        before,
        {**after, "event": event.id, "note": note},
    )
    return event


def open_finding(
    scope: Scope,
    *,
    unit_id: int,
    title: str,
    rectify_by: date,
    detail: str = "",
    severity: str = "general",
    public: bool = False,
    detail_public: bool = False,
    plan_id: int | None = None,
    measure_id: int | None = None,
    inspection_id: int | None = None,
    at: datetime | None = None,
) -> Finding:
    """Record a problem in the ledger (问题台账) against a unit and, where there is one, a measure the
    unit is assigned to, with a rectification deadline, a severity and what may be published."""
    _office(scope, "open finding")
    at = at or now()
    title = _text(title, "问题摘要", limit=TITLE_LIMIT)
    detail = _text(detail, "问题详情", required=False)
    if severity not in SEVERITY_LABELS:
        raise SupervisionError("问题等级只能是一般、较重或严重")
    if rectify_by < local_date(at):
        raise SupervisionError("整改时限不能早于今天")
    if detail_public and not public:
        raise SupervisionError("问题摘要不公开时，详情也不能公开")
    with write_transaction():
        unit = Unit.get_or_none(Unit.id == unit_id)
        if unit is None:
            raise SupervisionError("没有这个单位")
        inspection = None
        if inspection_id is not None:
            inspection = Inspection.get_or_none(Inspection.id == inspection_id)
            if inspection is None:
                raise SupervisionError("没有这次督查")
            plan_id = plan_id or inspection.plan_id
        if measure_id is not None:
            measure = Measure.get_or_none(Measure.id == measure_id)
            if measure is None or measure.archived_at is not None:
                raise SupervisionError("没有这项措施")
            if plan_id is not None and measure.plan_id != plan_id:
                raise SupervisionError("该措施不属于所选方案")
            plan_id = measure.plan_id
            assigned = Assignment.active().where(Assignment.measure == measure.id, Assignment.unit == unit.id)
            if not assigned.exists():
                raise SupervisionError(f"{unit.label}不承担措施 {measure.code}，请核对单位或措施")
        elif plan_id is not None:
            in_plan = (
                Assignment.active().join(Measure).where(Measure.plan == plan_id, Assignment.unit == unit.id)
            )
            if not in_plan.exists():
                raise SupervisionError(f"{unit.label}在该方案中没有分工")
        row = Finding.create(
            plan=plan_id,
            inspection=inspection.id if inspection else None,
            unit=unit.id,
            measure=measure_id,
            title=title,
            detail=detail,
            severity=severity,
            public=public,
            detail_public=detail_public,
            rectify_by=rectify_by,
            state="open",
            created_by=scope.user_id,
            created_at=at,
        )
        _event(
            row,
            "open",
            scope,
            at,
            "",
            None,
            {
                "state": "open",
                "unit": unit.id,
                "plan": plan_id,
                "measure": measure_id,
                "inspection": row.inspection_id,
                "title": title,
                "rectify_by": rectify_by,
                "severity": severity,
                "public": public,
                "detail_public": detail_public,
            },
        )
    return row


def default_office_name(plan: Plan | None = None) -> str:
    """The issuer printed on rectification lists: the `office_name` setting, else the place of the plan's
    issuer followed by 督查室 (e.g. 旬邑县督查室), else 督查室."""
    stored = Setting.get_or_none(Setting.key == OFFICE_NAME_SETTING)
    if stored and stored.value.strip():
        return stored.value.strip()
    source = ((plan.issuer or "") if plan else "").removeprefix("中共")
    match = re.match(r"(.{2,6}?(?:市|县|区|州|盟|旗))", source)
    return f"{match.group(1)}督查室" if match else "督查室"


def _next_doc_number(year: int) -> str:
    prefix = f"督整〔{year}〕"
    used = [
        int(m.group(1))
        for (number,) in RectificationList.select(RectificationList.doc_number)
        .where(RectificationList.doc_number.startswith(prefix))
        .tuples()
        if number and (m := re.fullmatch(re.escape(prefix) + r"(\d+)号", number))
    ]
    return f"{prefix}{max(used, default=0) + 1}号"


def create_rectification_list(
    scope: Scope,
    *,
    unit_id: int,
    finding_ids: Sequence[int],
    title: str = "",
    doc_number: str = "",
    body: str = "",
    at: datetime | None = None,
) -> RectificationList:
    """Send findings to their unit as a rectification list (整改清单): every finding must be the unit's
    and not closed; each gets a 'send' step in its history. The 文号 is numbered per year when blank."""
    _office(scope, "create rectification list")
    at = at or now()
    ids = sorted(set(finding_ids))
    if not ids:
        raise SupervisionError("请至少选择一个问题")
    title = _text(title, "清单标题", required=False, limit=TITLE_LIMIT)
    doc_number = _text(doc_number, "文号", required=False, limit=100)
    body = _text(body, "正文", required=False)
    with write_transaction():
        unit = Unit.get_or_none(Unit.id == unit_id)
        if unit is None:
            raise SupervisionError("没有这个单位")
        findings = list(Finding.select().where(Finding.id.in_(ids)).order_by(Finding.id))
        if len(findings) != len(ids):
            raise SupervisionError("所选问题有的不存在")
        other = [f for f in findings if f.unit_id != unit.id]
        if other:
            raise SupervisionError(f"问题 #{other[0].id} 不是{unit.label}的问题，不能放进同一份清单")
        closed = [f for f in findings if f.state == "closed"]
        if closed:
            raise SupervisionError(f"问题 #{closed[0].id} 已销号，无需再下发")
        plans = {f.plan_id for f in findings}
        plan_id = plans.pop() if len(plans) == 1 else None
        plan = Plan.get_or_none(Plan.id == plan_id) if plan_id else None
        row = RectificationList.create(
            unit=unit.id,
            plan=plan_id,
            title=title or f"关于{unit.label}督查发现问题的整改清单",
            doc_number=doc_number or _next_doc_number(local_date(at).year),
            body=body
            or (
                f"{unit.name}:\n"
                f"根据{default_office_name(plan)}督查情况，现将发现的问题清单交你单位，"
                "请对照清单逐项整改，在整改时限前通过系统报送整改情况和佐证材料，逾期未整改的将予以通报。"
            ),
            issued_by=scope.user_id,
            issued_at=at,
        )
        audit.record(
            scope.username,
            "rectification_list.create",
            "rectification_list",
            row.id,
            None,
            {"unit": unit.id, "title": row.title, "doc_number": row.doc_number, "findings": ids},
        )
        for f in findings:
            before = {"rectification_list": f.rectification_list_id}
            f.rectification_list = row.id
            f.save()
            _event(
                f, "send", scope, at, f"{row.doc_number} {row.title}", before, {"rectification_list": row.id}
            )
    return row


def answer_finding(
    scope: Scope,
    finding_id: int,
    note: str,
    files: Sequence = (),
    upload_dir: str | os.PathLike | None = None,
    at: datetime | None = None,
) -> FindingEvent:
    """The unit reports how it fixed its finding (整改情况), with evidence files already checked by
    `evidence.check_upload`. Only the finding's own unit (or the office, recording a reply received
    on paper) answers; a closed finding takes no answer. The finding then waits for the office."""
    from tracker.services import evidence as evidence_service

    at = at or now()
    note = _text(note, "整改情况")
    if files and upload_dir is None:
        raise SupervisionError("没有配置佐证材料的保存位置")
    if len(files) > evidence_service.MAX_FILES:
        raise SupervisionError(f"一次最多上传 {evidence_service.MAX_FILES} 个文件")
    written: list[Path] = []
    try:
        with write_transaction():
            finding = scope.finding(finding_id, write=True)
            if finding.state == "closed":
                raise SupervisionError("该问题已销号，如需补充请联系督查室")
            before = {"state": finding.state}
            finding.state = "answered"
            finding.save()
            event = _event(
                finding, "answer", scope, at, note, before, {"state": "answered", "files": len(files)}
            )
            for checked in files:
                row, path = evidence_service.store(upload_dir, checked, None, finding.unit_id, scope.user_id)
                written.append(path)
                row.finding_event = event.id
                row.save()
                audit.record(
                    scope.username,
                    "evidence.upload",
                    "evidence",
                    row.id,
                    None,
                    {
                        "finding": finding.id,
                        "event": event.id,
                        "name": row.original_name,
                        "sha256": row.sha256,
                        "size": row.size,
                    },
                )
    except BaseException:
        for path in written:  # the rows rolled back; so do the files
            path.unlink(missing_ok=True)
        raise
    return event


def close_finding(scope: Scope, finding_id: int, note: str, at: datetime | None = None) -> FindingEvent:
    """The office closes (销号) a finding after checking the unit's answer; the note records the check."""
    _office(scope, f"close finding {finding_id}")
    at = at or now()
    note = _text(note, "核查意见")
    with write_transaction():
        finding = scope.finding(finding_id)
        if finding.state == "closed":
            raise SupervisionError("该问题已经销号")
        if finding.state != "answered":
            raise SupervisionError("单位尚未反馈整改情况，不能销号")
        before = {"state": finding.state}
        finding.state, finding.closed_at = "closed", at
        finding.save()
        return _event(finding, "close", scope, at, note, before, {"state": "closed"})


def reopen_finding(scope: Scope, finding_id: int, note: str, at: datetime | None = None) -> FindingEvent:
    """The office reopens a closed finding, or sends an answer back as not good enough; the finding is
    open again (and its rectification deadline counts again) until the office closes it."""
    _office(scope, f"reopen finding {finding_id}")
    at = at or now()
    note = _text(note, "重新打开的理由")
    with write_transaction():
        finding = scope.finding(finding_id)
        if finding.state == "open":
            raise SupervisionError("该问题正在整改中，无需重新打开")
        before = {"state": finding.state}
        finding.state, finding.closed_at = "open", None
        finding.save()
        return _event(finding, "reopen", scope, at, note, before, {"state": "open"})


@dataclass(frozen=True)
class FindingRow:
    finding: Finding
    unit_label: str
    plan_code: str | None
    measure_code: str | None
    list_number: str | None
    overdue: bool
    age_days: int

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.finding.state]

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.finding.severity, self.finding.severity)


def _finding_rows(query, as_of: datetime) -> list[FindingRow]:
    today = local_date(as_of)
    return [
        FindingRow(
            f,
            f.unit.label,
            f.plan.code if f.plan_id else None,
            f.measure.code if f.measure_id else None,
            f.rectification_list.doc_number if f.rectification_list_id else None,
            f.state != "closed" and f.rectify_by < today,
            (today - local_date(f.created_at)).days,
        )
        for f in query
    ]


def _finding_query():
    return (
        Finding.select(Finding, Unit, Plan, Measure, RectificationList)
        .join(Unit, on=(Finding.unit == Unit.id))
        .switch(Finding)
        .join(Plan, JOIN.LEFT_OUTER, on=(Finding.plan == Plan.id))
        .switch(Finding)
        .join(Measure, JOIN.LEFT_OUTER, on=(Finding.measure == Measure.id))
        .switch(Finding)
        .join(RectificationList, JOIN.LEFT_OUTER, on=(Finding.rectification_list == RectificationList.id))
    )


def finding_ledger(
    scope: Scope,
    *,
    state: str | None = None,
    unit_id: int | None = None,
    plan_id: int | None = None,
    severity: str | None = None,
    overdue: bool = False,
    unlisted: bool = False,
    inspection_id: int | None = None,
    as_of: datetime | None = None,
) -> list[FindingRow]:
    """The ledger (问题台账) the person may read, narrowed by state, unit, plan, severity, inspection,
    overdue (not closed and past its rectification deadline) or not yet on a rectification list;
    the most urgent deadline first, closed ones last."""
    as_of = as_of or now()
    query = scope.restrict(_finding_query(), Finding.unit).where(Finding.created_at <= as_of)
    if state:
        query = query.where(Finding.state == state)
    if unit_id:
        query = query.where(Finding.unit == unit_id)
    if plan_id:
        query = query.where(Finding.plan == plan_id)
    if severity:
        query = query.where(Finding.severity == severity)
    if inspection_id:
        query = query.where(Finding.inspection == inspection_id)
    if overdue:
        query = query.where(Finding.state != "closed", Finding.rectify_by < local_date(as_of))
    if unlisted:
        query = query.where(Finding.rectification_list.is_null(), Finding.state != "closed")
    query = query.order_by(pw.Case(None, [(Finding.state == "closed", 1)], 0), Finding.rectify_by, Finding.id)
    return _finding_rows(query, as_of)


@dataclass(frozen=True)
class EventLine:
    event: FindingEvent
    by: str
    evidence: tuple[Evidence, ...]

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.event.kind, self.event.kind)


@dataclass(frozen=True)
class FindingDetail:
    row: FindingRow
    inspection: Inspection | None
    events: tuple[EventLine, ...]  # oldest first

    @property
    def finding(self) -> Finding:
        return self.row.finding


def finding_detail(scope: Scope, finding_id: int, as_of: datetime | None = None) -> FindingDetail:
    """One finding with every step of its history and the evidence of each answer."""
    as_of = as_of or now()
    scope.finding(finding_id)
    row = _finding_rows(_finding_query().where(Finding.id == finding_id), as_of)[0]
    events = list(
        FindingEvent.select()
        .where(FindingEvent.finding == finding_id)
        .order_by(FindingEvent.at, FindingEvent.id)
    )
    evidence: dict[int, list[Evidence]] = {}
    for e in (
        Evidence.select()
        .where(Evidence.finding_event.in_([e.id for e in events] or [0]))
        .order_by(Evidence.id)
    ):
        evidence.setdefault(e.finding_event_id, []).append(e)
    names = _names(e.by_id for e in events)
    inspection = (
        Inspection.get_or_none(Inspection.id == row.finding.inspection_id)
        if row.finding.inspection_id
        else None
    )
    return FindingDetail(
        row,
        inspection,
        tuple(EventLine(e, names.get(e.by_id, "?"), tuple(evidence.get(e.id, ()))) for e in events),
    )


@dataclass(frozen=True)
class InspectionRow:
    inspection: Inspection
    plan_code: str | None
    findings: int
    open: int


def inspections(plan_id: int | None = None) -> list[InspectionRow]:
    """Every inspection, newest first, with how many findings it raised and how many are still open."""
    query = (
        Inspection.select(Inspection, Plan)
        .join(Plan, JOIN.LEFT_OUTER)
        .order_by(Inspection.held_on.desc(), Inspection.id.desc())
    )
    if plan_id:
        query = query.where(Inspection.plan == plan_id)
    rows = list(query)
    counts = Counter()
    open_counts = Counter()
    for f in Finding.select(Finding.inspection, Finding.state).where(
        Finding.inspection.in_([i.id for i in rows] or [0])
    ):
        counts[f.inspection_id] += 1
        open_counts[f.inspection_id] += f.state != "closed"
    return [
        InspectionRow(i, i.plan.code if i.plan_id else None, counts[i.id], open_counts[i.id]) for i in rows
    ]


def inspection(inspection_id: int) -> Inspection:
    row = Inspection.get_or_none(Inspection.id == inspection_id)
    if row is None:
        raise OutOfScope(f"inspection {inspection_id}")
    return row


@dataclass(frozen=True)
class ListRow:
    rectification_list: RectificationList
    unit_label: str
    findings: int
    open: int
    closed: int


def rectification_lists(scope: Scope, unit_id: int | None = None) -> list[ListRow]:
    """The rectification lists the person may read, newest first, with how far their findings are."""
    query = scope.restrict(
        RectificationList.select(RectificationList, Unit).join(Unit, on=(RectificationList.unit == Unit.id)),
        RectificationList.unit,
    ).order_by(RectificationList.issued_at.desc(), RectificationList.id.desc())
    if unit_id:
        query = query.where(RectificationList.unit == unit_id)
    rows = list(query)
    total, closed = Counter(), Counter()
    for f in Finding.select(Finding.rectification_list, Finding.state).where(
        Finding.rectification_list.in_([r.id for r in rows] or [0])
    ):
        total[f.rectification_list_id] += 1
        closed[f.rectification_list_id] += f.state == "closed"
    return [ListRow(r, r.unit.label, total[r.id], total[r.id] - closed[r.id], closed[r.id]) for r in rows]


@dataclass(frozen=True)
class ListDetail:
    rectification_list: RectificationList
    unit: Unit
    plan: Plan | None
    issuer: str
    findings: tuple[FindingRow, ...]


def rectification_list_detail(scope: Scope, list_id: int, as_of: datetime | None = None) -> ListDetail:
    """One rectification list with its findings in the order they were recorded."""
    row = scope.rectification_list(list_id)
    rows = _finding_rows(
        _finding_query().where(Finding.rectification_list == row.id).order_by(Finding.id), as_of or now()
    )
    plan = Plan.get_or_none(Plan.id == row.plan_id) if row.plan_id else None
    return ListDetail(row, row.unit, plan, default_office_name(plan), tuple(rows))


# ---------------------------------------------------------------- confirming completion (办结确认)


@dataclass(frozen=True)
class CompletionRow:
    row: AssignmentRow
    reported_at: datetime | None
    confirmed_at: datetime | None


def completions(plan: Plan, as_of: datetime) -> tuple[list[CompletionRow], list[CompletionRow]]:
    """The assignments whose unit reported them complete and the office has not confirmed, and the
    ones confirmed (done) as of `as_of`, each in measure order."""
    facts = gather(plan, as_of)
    rows = {r.assignment_id: r for r in _rows(plan, facts, as_of, reporting_period(plan, as_of))}
    waiting, done = [], []
    for f in facts.assignments:
        reading = read(f, facts.rules, as_of)
        since = reading.done_since()
        if since is not None:
            done.append(CompletionRow(rows[f.id], None, since))
        elif reading.current is not None and reading.current.complete:
            moment = next((m for m, r in reversed(reading.submitted) if r is reading.current), None)
            waiting.append(CompletionRow(rows[f.id], moment, None))

    def key(c: CompletionRow):
        return (code_key(c.row.measure_code), c.row.role != "lead", c.row.unit_name)

    return sorted(waiting, key=key), sorted(done, key=key)


def confirm_completion(
    scope: Scope, assignment_id: int, note: str = "", at: datetime | None = None
) -> Completion:
    """The office confirms an assignment its unit reported complete: from now on it is done (办结)."""
    _office(scope, f"confirm completion {assignment_id}")
    at = at or now()
    note = _text(note, "确认意见", required=False)
    with write_transaction():
        assignment = scope.assignment(assignment_id)
        _, facts, f = _facts_of(assignment, at)
        reading = read(f, facts.rules, at) if f else None
        if reading is None or reading.current is None or not reading.current.complete:
            raise SupervisionError("单位尚未报送“已完成”，不能确认办结")
        if reading.done_since() is not None:
            raise SupervisionError("该任务已确认办结")
        row = Completion.create(
            assignment=assignment.id, kind="confirm", by=scope.user_id, at=at, reason=note
        )
        audit.record(
            scope.username,
            "completion.confirm",
            "assignment",
            assignment.id,
            {"done": False},
            {"done": True, "completion": row.id, "note": note},
        )
    return row


def reopen_completion(
    scope: Scope, assignment_id: int, reason: str, at: datetime | None = None
) -> Completion:
    """The office withdraws a confirmation with a reason: the assignment is no longer done."""
    _office(scope, f"reopen completion {assignment_id}")
    at = at or now()
    reason = _text(reason, "撤销办结的理由")
    with write_transaction():
        assignment = scope.assignment(assignment_id)
        _, facts, f = _facts_of(assignment, at)
        if f is None or read(f, facts.rules, at).done_since() is None:
            raise SupervisionError("该任务尚未确认办结")
        row = Completion.create(
            assignment=assignment.id, kind="reopen", by=scope.user_id, at=at, reason=reason
        )
        audit.record(
            scope.username,
            "completion.reopen",
            "assignment",
            assignment.id,
            {"done": True},
            {"done": False, "completion": row.id, "reason": reason},
        )
    return row


# ---------------------------------------------------------------- bulletins and quality ratings


def parse_board(text: str) -> Period | Quarter | Year:
    try:
        return parse_window(text)
    except ValueError:
        raise SupervisionError(f"通报期次应写作 2024-05、2024Q2 或 2024，不是 {text!r}") from None


def board_label(board: str) -> str:
    window = parse_board(board)
    if isinstance(window, Period):
        return f"{window.year}年{window.month}月月通报"
    if isinstance(window, Quarter):
        return f"{window.year}年第{'一二三四'[window.number - 1]}季度季通报"
    return f"{window.year}年年终总结"


@dataclass(frozen=True)
class BoardLine:
    board: str
    label: str
    bulletin: Bulletin | None


def bulletin_boards(plan: Plan, as_of: datetime) -> list[BoardLine]:
    """Every month and quarter of the plan that has begun by `as_of`, newest first, with its commentary."""
    written = {b.board: b for b in Bulletin.select().where(Bulletin.plan == plan.id)}
    boards = []
    period, first = Period.of(min(local_date(as_of), plan.end)), Period.of(plan.start)
    seen_quarters = set()
    while period >= first:
        quarter = str(period.quarter)
        if quarter not in seen_quarters and period.month % 3 == 0:
            seen_quarters.add(quarter)
            boards.append(quarter)
        boards.append(str(period))
        period = period.prev()
    boards += sorted(set(written) - set(boards), reverse=True)
    return [BoardLine(b, board_label(b), written.get(b)) for b in boards]


def bulletin(plan: Plan, board: str) -> Bulletin | None:
    return Bulletin.get_or_none(Bulletin.plan == plan.id, Bulletin.board == str(parse_board(board)))


def save_bulletin(
    scope: Scope, plan_id: int, board: str, commentary: str, at: datetime | None = None
) -> Bulletin:
    """The office writes (or rewrites) the Markdown commentary of a monthly or quarterly bulletin (or
    the year's); the audit trail keeps every earlier text."""
    _office(scope, "save bulletin")
    at = at or now()
    key = str(parse_board(board))
    commentary = (commentary or "").replace("\r\n", "\n").strip()
    if len(commentary) > COMMENTARY_LIMIT:
        raise SupervisionError(f"通报点评不能超过 {COMMENTARY_LIMIT} 字")
    with write_transaction():
        if not Plan.select().where(Plan.id == plan_id).exists():
            raise SupervisionError("没有这个方案")
        row = Bulletin.get_or_none(Bulletin.plan == plan_id, Bulletin.board == key)
        before = {"commentary": row.commentary} if row else None
        if row is None:
            row = Bulletin.create(
                plan=plan_id, board=key, commentary=commentary, updated_by=scope.user_id, updated_at=at
            )
        else:
            row.commentary, row.updated_by, row.updated_at = commentary, scope.user_id, at
            row.save()
        audit.record(
            scope.username,
            "bulletin.save",
            "bulletin",
            row.id,
            before,
            {"plan": plan_id, "board": key, "commentary": commentary},
        )
    return row


@dataclass(frozen=True)
class RatingLine:
    unit_id: int
    unit_label: str
    rating: QualityRating | None


def quality_sheet(plan: Plan, quarter: str) -> list[RatingLine]:
    """Every unit with an assignment in `plan`, by name, with its quality rating for `quarter` if any."""
    key = str(Quarter.parse(quarter))
    units = (
        Unit.select()
        .join(Assignment, on=(Assignment.unit == Unit.id))
        .join(Measure)
        .where(Measure.plan == plan.id, Assignment.archived_at.is_null(), Measure.archived_at.is_null())
        .distinct()
        .order_by(Unit.name)
    )
    ratings = {
        r.unit_id: r
        for r in QualityRating.select().where(QualityRating.plan == plan.id, QualityRating.quarter == key)
    }
    return [RatingLine(u.id, u.label, ratings.get(u.id)) for u in units]


@dataclass(frozen=True)
class RatingInput:
    points: float | None  # None: leave as it is
    note: str = ""


def save_quality_ratings(
    scope: Scope,
    plan_id: int,
    quarter: str,
    ratings: Mapping[int, RatingInput],
    at: datetime | None = None,
) -> int:
    """The office rates the quality of units' reporting for a quarter (0–10 points, halves allowed):
    the 10 points of the score. Returns how many ratings changed; unchanged ones write nothing."""
    _office(scope, "rate quality")
    at = at or now()
    try:
        key = str(Quarter.parse(quarter))
    except ValueError:
        raise SupervisionError(f"季度应写作 2024Q2，不是 {quarter!r}") from None
    changed = 0
    with write_transaction():
        plan = Plan.get_or_none(Plan.id == plan_id)
        if plan is None:
            raise SupervisionError("没有这个方案")
        allowed = {line.unit_id: line for line in quality_sheet(plan, key)}
        for unit_id, given in sorted(ratings.items()):
            if given.points is None:
                continue
            line = allowed.get(unit_id)
            if line is None:
                raise SupervisionError("所评单位在该方案中没有分工")
            points = float(given.points)
            if not 0 <= points <= 10 or points * 2 != int(points * 2):
                raise SupervisionError(f"{line.unit_label}：质量评分应在 0 到 10 分之间，最小单位 0.5 分")
            note = _text(given.note, "评分说明", required=False, limit=500)
            row = line.rating
            if row is not None and row.points == points and row.note == note:
                continue
            before = {"points": row.points, "note": row.note} if row else None
            if row is None:
                row = QualityRating.create(
                    plan=plan.id,
                    unit=unit_id,
                    quarter=key,
                    points=points,
                    note=note,
                    rated_by=scope.user_id,
                    rated_at=at,
                )
            else:
                row.points, row.note, row.rated_by, row.rated_at = points, note, scope.user_id, at
                row.save()
            audit.record(
                scope.username,
                "quality.rate",
                "quality_rating",
                row.id,
                before,
                {"plan": plan.id, "unit": unit_id, "quarter": key, "points": points, "note": note},
            )
            changed += 1
    return changed


def current_quarter(plan: Plan, as_of: datetime) -> Quarter:
    return Period.of(min(max(local_date(as_of), plan.start), plan.end)).quarter


@dataclass(frozen=True)
class Choices:
    """What the office's forms offer: plans, units (with the plans they work in), measures."""

    plans: tuple[Plan, ...]
    units: tuple[Unit, ...]
    measures: tuple[Measure, ...] = field(default_factory=tuple)


def choices(plan_id: int | None = None) -> Choices:
    plans = tuple(Plan.select().order_by(Plan.code))
    units = Unit.select().where(Unit.id.in_(Assignment.active().select(Assignment.unit).distinct()))
    measures: tuple[Measure, ...] = ()
    if plan_id:
        units = units.where(
            Unit.id.in_(
                Assignment.active()
                .join(Measure)
                .where(Measure.plan == plan_id)
                .select(Assignment.unit)
                .distinct()
            )
        )
        measures = tuple(
            sorted(Measure.active().where(Measure.plan == plan_id), key=lambda m: code_key(m.code))
        )
    return Choices(plans, tuple(units.order_by(Unit.name)), measures)


def days_since(moment: datetime, as_of: datetime) -> int:
    return (local_date(as_of) - local_date(moment)).days
