"""The office's overview: lights per assignment, missing and late reports, the unit matrix, changes
since last month, an assignment's detail and a measure's units."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from tracker.clock import now
from tracker.rules import lights as rl
from tracker.rules.lights import Rag
from tracker.rules.periods import Period, local_date, period_of
from tracker.rules.progress import read
from tracker.rules.snapshot import code_key
from tracker.rules.status import period_status
from tracker.services.facts import PlanFacts, gather
from tracker.services.scoping import Scope
from tracker.services.supervision.common import reporting_period, sections_of, user_names
from tracker.store.models import (
    Assignment,
    Completion,
    ExtensionRequest,
    Finding,
    Measure,
    Plan,
    Reminder,
    Unit,
)


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


def assignment_rows(plan: Plan, facts: PlanFacts, as_of: datetime, period: Period) -> list[AssignmentRow]:
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
    units: frozenset[int] | None = None,
) -> Overview:
    """Every assignment of `plan` with its light as of `as_of` and its report status for `period`
    (default: `reporting_period`), narrowed by section (a section code and everything under it),
    unit, light and report status; a level's office passes its `units` (see `Scope.units`)."""
    period = period or reporting_period(plan, as_of)
    facts = gather(plan, as_of, units=units)
    rows = assignment_rows(plan, facts, as_of, period)
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


def plan_lights(as_of: datetime, units: frozenset[int] | None = None) -> list[PlanLights]:
    """For every plan: its measures' lights as of `as_of`, and what needs the office's attention
    (a level's office: within its `units`)."""
    out = []
    today = local_date(as_of)
    for plan in Plan.select().order_by(Plan.code):
        facts = gather(plan, as_of, units=units)
        if units is not None and not facts.assignments:
            continue
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
        if units is not None:
            open_q = open_q.where(Finding.unit.in_(sorted(units)))
            pending = pending.where(Assignment.unit.in_(sorted(units)))
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


def missing_and_late(
    plan: Plan, as_of: datetime, period: Period | None = None, units: frozenset[int] | None = None
) -> list[ChaseRow]:
    """The assignments whose report for `period` (default `reporting_period`) is missing or late as of
    `as_of`, missing first, then by unit and measure; with how often each was chased."""
    view = overview(plan, as_of, period=period, units=units)
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


def unit_matrix(as_of: datetime, units: frozenset[int] | None = None) -> Matrix:
    """Every unit × every plan: how many of the unit's assignments in the plan show each light as of
    `as_of`. Units with most red first, then most amber, then by name."""
    plans = tuple(Plan.select().order_by(Plan.code))
    cells: dict[int, dict[str, Counter]] = {}
    labels: dict[int, str] = {}
    for plan in plans:
        facts = gather(plan, as_of, units=units)
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
    plan: Plan, since: datetime, until: datetime, units: frozenset[int] | None = None
) -> tuple[list[LightChange], list[LightChange]]:
    """What changed between `since` and `until`: the measures whose light changed, and the
    assignments whose light changed; each in measure order, worse ones first."""
    facts = gather(plan, until, units=units)
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


def facts_of(assignment: Assignment, as_of: datetime):
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
    plan, facts, f = facts_of(assignment, as_of)
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
        period = period_of(f.cadence, min(local_date(as_of), plan.end))
        first = period_of(f.cadence, f.start)
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
    names = user_names(
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


def measure_overview(
    plan: Plan, measure_code: str, as_of: datetime, units: frozenset[int] | None = None
) -> MeasureOverview | None:
    """A measure's light through its leads and responsible units and every unit's light on it, as of
    `as_of` (a level's office: its `units` only)."""
    measure = Measure.get_or_none(Measure.plan == plan.id, Measure.code == measure_code)
    if measure is None:
        return None
    facts = gather(plan, as_of, units=units)
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
