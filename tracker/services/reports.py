"""The unit's monthly report (月调度): saving revisions, returns, sign-off, extension requests, and reads.

A report is never overwritten: each save is a new `ReportRevision` numbered after the last one, with
its author and time. A save carries the revision number the editor started from; when someone else
saved in between, `StaleRevision` says so (and carries their revision) instead of losing either text.
Every change writes its audit events in the same transaction. Every lookup goes through `Scope`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from peewee import JOIN, fn

from tracker.clock import TZ, now
from tracker.rules.indicators import IndicatorWarning, check_indicator_value, plausibility_problem
from tracker.rules.lights import assignment_light
from tracker.rules.periods import (
    Period,
    ReportPeriod,
    due_moment,
    end_of_day,
    local_date,
    parse_period,
    period_of,
    phase_note,
)
from tracker.rules.status import last_due_report, report_status
from tracker.rules.values import IndicatorSpec, IndicatorValue, ReportingRules
from tracker.services import events, labels
from tracker.services import evidence as evidence_service
from tracker.services.facts import gather, reporting_rules
from tracker.services.scoping import OutOfScope, Scope
from tracker.services.text import clean_text
from tracker.store import audit, hot
from tracker.store.db import is_postgres, write_transaction
from tracker.store.models import (
    Assignment,
    Delivery,
    Evidence,
    ExtensionRequest,
    Finding,
    Indicator,
    Measure,
    Plan,
    Reminder,
    Report,
    ReportDraft,
    ReportReturn,
    ReportRevision,
    ReportSignoff,
    Unit,
    User,
)

TEXT_LIMIT = 20_000  # characters per text field: pages of narrative, not a book
SUMMARY_LIMIT = 500
REASON_LIMIT = 2_000
MAX_DIGITS = 15
_PLAIN_NUMBER = re.compile(r"\d+(\.\d+)?")

STATUS_LABELS, LIGHT_LABELS, ROLE_LABELS = labels.REPORT_STATUS, labels.LIGHTS, labels.ASSIGNMENT_ROLES
FIELD_LABELS = {
    "percent": "完成进度",
    "complete": "是否完成",
    "narrative": "工作进展",
    "problems": "存在问题",
    "next_steps": "下步计划",
    "public_summary": "公开摘要",
    "period": "报送期",
}


class ReportError(ValueError):
    """A change that is refused for a reason the clerk can act on."""


@dataclass(frozen=True)
class Problem:
    """One wrong field: `field` is a ReportInput field, or `indicator:<code>` / `note:<code>`."""

    field: str
    message: str


class InvalidReport(ReportError):
    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__(";".join(p.message for p in self.problems))


@dataclass(frozen=True)
class ReportInput:
    """What a unit reports for a period; indicator values by indicator code, exact decimals."""

    percent: int
    complete: bool = False
    narrative: str = ""
    problems: str = ""
    next_steps: str = ""
    public_summary: str = ""
    indicator_values: Mapping[str, Decimal] = field(default_factory=dict)
    indicator_notes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        # Every way in (form, 调度表, API) builds one of these: control characters end here.
        for name in ("narrative", "problems", "next_steps", "public_summary"):
            object.__setattr__(self, name, clean_text(getattr(self, name)))
        notes = {code: clean_text(note) for code, note in self.indicator_notes.items()}
        object.__setattr__(self, "indicator_notes", notes)


@dataclass(frozen=True)
class EvidenceView:
    id: int
    name: str
    size: int
    content_type: str
    sha256: str
    revision_number: int


@dataclass(frozen=True)
class ReturnView:
    by: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class IndicatorRow:
    code: str
    name: str
    unit: str | None
    target: Decimal | None
    value: Decimal | None
    note: str


@dataclass(frozen=True)
class RevisionView:
    """One saved revision as people read it: who saved it and when, what it says, what happened to it."""

    id: int
    number: int
    period: str
    author: str
    recorded_at: datetime
    source: str
    percent: int | None
    complete: bool
    narrative: str
    problems: str
    next_steps: str
    public_summary: str
    indicators: tuple[IndicatorRow, ...]
    returns: tuple[ReturnView, ...]
    signed_by: str | None
    signed_at: datetime | None
    evidence: tuple[EvidenceView, ...]

    @property
    def returned(self) -> bool:
        return bool(self.returns)


class StaleRevision(ReportError):
    """Someone saved this report after the editor opened it; nothing was saved. `latest` is theirs."""

    def __init__(self, latest: RevisionView):
        self.latest = latest
        super().__init__(
            f"{latest.author} 已于 {latest.recorded_at.astimezone(TZ):%Y-%m-%d %H:%M} "
            f"保存了第 {latest.number} 版,您的内容尚未保存"
        )


@dataclass(frozen=True)
class Saved:
    revision: ReportRevision
    warnings: tuple[IndicatorWarning, ...]


# ---------------------------------------------------------------- parsing and checks


def parse_decimal(text: str | int | float | Decimal | None) -> Decimal | None:
    """A reported number: digits with an optional decimal point; None for an empty cell or field.

    Raises ValueError for anything else (negative, exponent, more than 15 digits, not a number).
    """
    if text is None:
        return None
    if isinstance(text, bool):
        raise ValueError("不是数字")
    raw = str(text).strip().replace(",", "").replace(",", "")
    if raw == "":
        return None
    if raw.startswith("-") and _PLAIN_NUMBER.fullmatch(raw[1:]):
        raise ValueError("不能为负数")
    if not _PLAIN_NUMBER.fullmatch(raw):
        raise ValueError("不是数字")
    value = Decimal(raw)
    digits = value.normalize().as_tuple()
    if len(digits.digits) > MAX_DIGITS:
        raise ValueError(f"位数过多(最多 {MAX_DIGITS} 位)")
    return value


def decimal_text(value: Decimal) -> str:
    """How a value is stored: plain digits, no exponent, no trailing zeros ("2600", "12.5")."""
    text = format(value.normalize(), "f")
    return text


def stored_decimal(value) -> Decimal | None:
    """A value read back from a revision (text, or a number written by older code)."""
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def cadence_of(measure: Measure, plan: Plan) -> str:
    """How often a measure reports: its own `cadence`, else its plan's (monthly by default)."""
    return measure.cadence or plan.cadence or "monthly"


def current_period(measure: Measure, plan: Plan, today: date) -> ReportPeriod:
    """The report period a unit files for today (the plan's last one once it has ended)."""
    return period_of(cadence_of(measure, plan), min(today, plan.end))


def check_period(text: str, plan: Plan, assignment: Assignment, today: date) -> ReportPeriod:
    """The period a report may be filed for: one of the measure's cadence (2024-05 monthly, 2024Q2
    quarterly …), from the assignment's start to the one today falls in."""
    measure = assignment.measure
    cadence = cadence_of(measure, plan)
    try:
        period = parse_period(text, cadence)
    except ValueError as exc:
        message = f"报送期 {text!r} 格式应为 YYYY-MM,如 2024-05" if cadence == "monthly" else str(exc)
        raise InvalidReport([Problem("period", message)]) from None
    start = max(plan.start, measure.start) if measure.start else plan.start
    if period.last_day < start:
        raise InvalidReport([Problem("period", f"报送期 {period} 早于本项任务的开始时间({start:%Y-%m})")])
    if period.first_day > plan.end:
        raise InvalidReport([Problem("period", f"报送期 {period} 晚于方案实施期({plan.end:%Y-%m})")])
    if period.first_day > today:
        raise InvalidReport([Problem("period", f"报送期 {period} 尚未到来,不能提前报送")])
    return period


def _indicators(measure_id: int) -> list[Indicator]:
    return list(
        Indicator.select()
        .where(Indicator.measure == measure_id, Indicator.archived_at.is_null())
        .order_by(Indicator.position, Indicator.id)
    )


def _spec(indicator: Indicator) -> IndicatorSpec:
    return IndicatorSpec(
        name=indicator.name,
        unit=indicator.unit,
        target=None if indicator.target is None else Decimal(str(indicator.target)),
        cumulative=indicator.cumulative,
        kind=indicator.kind or "amount",
        direction=indicator.direction or "up",
    )


def validate(data: ReportInput, indicators: Sequence[Indicator]) -> list[Problem]:
    """What is wrong with `data` for a measure with these indicators (empty when it can be saved).

    Percent is a whole number 0..100; "complete" needs 100%; texts have length limits; every value
    belongs to one of the measure's indicators; a value past the indicator's target needs a note
    saying why (the other plausibility warnings are shown but do not block saving).
    """
    problems = []
    if not isinstance(data.percent, int) or isinstance(data.percent, bool) or not 0 <= data.percent <= 100:
        problems.append(Problem("percent", "完成进度应为 0–100 的整数"))
    elif data.complete and data.percent != 100:
        problems.append(Problem("complete", "标记为已完成时,完成进度应为 100%"))
    for name in ("narrative", "problems", "next_steps"):
        if len(getattr(data, name)) > TEXT_LIMIT:
            problems.append(Problem(name, f"{FIELD_LABELS[name]}不能超过 {TEXT_LIMIT} 字"))
    if len(data.public_summary) > SUMMARY_LIMIT:
        problems.append(Problem("public_summary", f"公开摘要不能超过 {SUMMARY_LIMIT} 字"))
    by_code = {i.code: i for i in indicators}
    for code, value in data.indicator_values.items():
        indicator = by_code.get(code)
        if indicator is None:
            problems.append(Problem(f"indicator:{code}", f"指标 {code!r} 不属于本措施"))
            continue
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            problems.append(Problem(f"indicator:{code}", f"「{indicator.name}」应为不小于 0 的数"))
            continue
        impossible = plausibility_problem(_spec(indicator), value)
        if impossible:
            problems.append(Problem(f"indicator:{code}", impossible[1]))
            continue
        note = data.indicator_notes.get(code, "").strip()
        # Above a ceiling (direction down) is behind, which the light shows; no note is asked for.
        if (
            indicator.direction != "down"
            and indicator.target is not None
            and value > Decimal(str(indicator.target))
            and not note
        ):
            problems.append(
                Problem(
                    f"note:{code}",
                    f"「{indicator.name}」{decimal_text(value)} 超过目标值 "
                    f"{decimal_text(Decimal(str(indicator.target)))},请在说明中注明原因",
                )
            )
    for code, note in data.indicator_notes.items():
        if code not in by_code and note.strip():
            problems.append(Problem(f"note:{code}", f"指标 {code!r} 不属于本措施"))
        elif len(note) > SUMMARY_LIMIT:
            problems.append(Problem(f"note:{code}", f"指标说明不能超过 {SUMMARY_LIMIT} 字"))
    return problems


def previous_values(assignment_id: int, period: ReportPeriod) -> dict[str, Decimal]:
    """Each indicator's value in the latest revision of the most recent earlier period that has it."""
    rows = (
        ReportRevision.select(ReportRevision.indicator_values, Report.period)
        .join(Report)
        .where(Report.assignment == assignment_id, Report.period < str(period))
        .order_by(Report.period.desc(), ReportRevision.number.desc())
    )
    return _first_values(row.indicator_values or {} for row in rows)


def _first_values(newest_first: Iterable[Mapping]) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for values in newest_first:
        for code, value in values.items():
            number = stored_decimal(value)
            if number is not None:
                found.setdefault(code, number)
    return found


def indicator_warnings(
    indicators: Sequence[Indicator], data: ReportInput, previous: Mapping[str, Decimal], rules: ReportingRules
) -> tuple[IndicatorWarning, ...]:
    """The rules core's plausibility warnings for each reported value (shown on the form)."""
    out = []
    by_code = {i.code: i for i in indicators}
    for code, value in data.indicator_values.items():
        indicator = by_code.get(code)
        if indicator is None:
            continue
        new = IndicatorValue(indicator.name, value, note=data.indicator_notes.get(code, ""))
        out.extend(check_indicator_value(_spec(indicator), new, previous.get(code), rules))
    return tuple(out)


def preview_warnings(
    scope: Scope, assignment_id: int, period: str, data: ReportInput
) -> tuple[IndicatorWarning, ...]:
    """The warnings a save of `data` would show, without saving (for the form's preview)."""
    assignment = scope.assignment(assignment_id)
    plan = assignment.measure.plan
    indicators = _indicators(assignment.measure_id)
    return indicator_warnings(
        indicators, data, previous_values(assignment.id, parse_period(period)), reporting_rules(plan)
    )


# ---------------------------------------------------------------- reading revisions


def _views(revisions: Sequence[ReportRevision], indicators: Sequence[Indicator]) -> list[RevisionView]:
    """Revisions with their authors, returns, sign-offs and evidence, in a fixed number of queries."""
    ids = [r.id for r in revisions]
    if not ids:
        return []
    users = {}
    author_ids = {r.author_id for r in revisions if r.author_id}
    returns: dict[int, list[ReturnView]] = {}
    signoffs: dict[int, tuple[str, datetime]] = {}
    evidence: dict[int, list[EvidenceView]] = {}
    return_rows = list(ReportReturn.select().where(ReportReturn.revision.in_(ids)).order_by(ReportReturn.at))
    sign_rows = list(ReportSignoff.select().where(ReportSignoff.revision.in_(ids)).order_by(ReportSignoff.at))
    author_ids |= {r.by_id for r in return_rows} | {s.by_id for s in sign_rows}
    for u in User.select(User.id, User.display_name, User.username).where(User.id.in_(author_ids or [0])):
        users[u.id] = u.display_name or u.username
    for r in return_rows:
        returns.setdefault(r.revision_id, []).append(ReturnView(users.get(r.by_id, "?"), r.at, r.reason))
    for s in sign_rows:
        signoffs.setdefault(s.revision_id, (users.get(s.by_id, "?"), s.at))
    number_of = {r.id: r.number for r in revisions}
    for e in Evidence.select().where(Evidence.revision.in_(ids)).order_by(Evidence.id):
        evidence.setdefault(e.revision_id, []).append(
            EvidenceView(e.id, e.original_name, e.size, e.content_type, e.sha256, number_of[e.revision_id])
        )
    out = []
    for r in revisions:
        values = r.indicator_values or {}
        notes = r.indicator_notes or {}
        rows = tuple(
            IndicatorRow(
                i.code,
                i.name,
                i.unit,
                None if i.target is None else Decimal(str(i.target)),
                stored_decimal(values.get(i.code)),
                notes.get(i.code, ""),
            )
            for i in indicators
            if i.code in values or i.code in notes
        )
        signed = signoffs.get(r.id)
        out.append(
            RevisionView(
                id=r.id,
                number=r.number,
                period=r.report.period,
                author=users.get(r.author_id, "系统") if r.author_id else "系统",
                recorded_at=r.recorded_at,
                source=r.source,
                percent=r.percent,
                complete=r.complete,
                narrative=r.narrative,
                problems=r.problems,
                next_steps=r.next_steps,
                public_summary=r.public_summary,
                indicators=rows,
                returns=tuple(returns.get(r.id, ())),
                signed_by=signed[0] if signed else None,
                signed_at=signed[1] if signed else None,
                evidence=tuple(evidence.get(r.id, ())),
            )
        )
    return out


def _revisions_of(assignment_id: int, period: str | None = None) -> list[ReportRevision]:
    query = (
        ReportRevision.select(ReportRevision, Report)
        .join(Report)
        .where(Report.assignment == assignment_id)
        .order_by(Report.period.desc(), ReportRevision.number.desc())
    )
    if period is not None:
        query = query.where(Report.period == period)
    return list(query)


def _latest(assignment_id: int, period: str) -> ReportRevision | None:
    revisions = _revisions_of(assignment_id, period)
    return revisions[0] if revisions else None


@dataclass(frozen=True)
class ReportPage:
    """What the report form shows for one assignment and period."""

    assignment_id: int
    unit_id: int
    unit: str
    plan_code: str
    plan_title: str
    signoff: bool
    measure_code: str
    measure_title: str
    measure_text: str
    role: str
    deadline: date | None
    deadline_text: str | None
    period: str
    due: datetime
    status: str
    status_reason: str
    indicators: tuple[Indicator, ...]
    previous_values: dict[str, Decimal]
    revisions: tuple[RevisionView, ...]  # this period's, newest first
    archived: bool

    @property
    def latest(self) -> RevisionView | None:
        return self.revisions[0] if self.revisions else None

    @property
    def latest_number(self) -> int:
        return self.latest.number if self.latest else 0

    @property
    def awaiting_signoff(self) -> bool:
        latest = self.latest
        return self.signoff and latest is not None and latest.signed_at is None and not latest.returned

    @property
    def evidence(self) -> tuple[EvidenceView, ...]:
        return tuple(e for r in self.revisions for e in r.evidence)


@dataclass(frozen=True)
class ReportTarget:
    """What a save needs to know of the report it writes to: checked, in scope, nothing more."""

    assignment_id: int
    period: str
    indicators: tuple
    signoff: bool


def report_target(
    scope: Scope, assignment_id: int, period_text: str, as_of: datetime | None = None
) -> ReportTarget:
    """The assignment and period a form posts to, checked against the scope and the plan's periods."""
    as_of = as_of or now()
    assignment = scope.assignment(assignment_id)
    plan = assignment.measure.plan
    period = check_period(period_text, plan, assignment, local_date(as_of))
    return ReportTarget(assignment.id, str(period), tuple(_indicators(assignment.measure_id)), plan.signoff)


def report_page(
    scope: Scope, assignment_id: int, period_text: str, as_of: datetime | None = None
) -> ReportPage:
    """The assignment, its period's status and every revision of that period (newest first)."""
    as_of = as_of or now()
    assignment = scope.assignment(assignment_id)
    measure = assignment.measure
    plan = measure.plan
    period = check_period(period_text, plan, assignment, local_date(as_of))
    indicators = _indicators(measure.id)
    views = _views(_revisions_of(assignment.id, str(period)), indicators)
    moment = min(as_of, end_of_day(plan.end))
    # The page shows this period's status: the revisions of this period (and the one before) suffice.
    facts = gather(plan, moment, unit_id=assignment.unit_id, periods=(period.prev(), period))
    mine = next((f for f in facts.assignments if f.id == assignment.id), None)
    if mine is not None:
        state = report_status(mine, period, facts.rules, moment)
        due, status, reason = state.due, state.status.value, state.reason
    else:  # archived: no longer on any board
        due, status, reason = due_moment(period, facts.rules), "not_due", "本项任务已归档"
    return ReportPage(
        assignment_id=assignment.id,
        unit_id=assignment.unit_id,
        unit=assignment.unit.name,
        plan_code=plan.code,
        plan_title=plan.title,
        signoff=plan.signoff,
        measure_code=measure.code,
        measure_title=measure.title,
        measure_text=measure.text or "",
        role=assignment.role,
        deadline=measure.deadline,
        deadline_text=measure.deadline_text,
        period=str(period),
        due=due,
        status=status,
        status_reason=reason,
        indicators=tuple(indicators),
        previous_values=previous_values(assignment.id, period),
        revisions=tuple(views),
        archived=bool(assignment.archived_at or measure.archived_at),
    )


def carried_over(page: ReportPage) -> RevisionView | None:
    """Last period's latest revision, offered as the starting point (沿用上期) of a period not yet filed.
    `page` was built for the person's scope, so the assignment is already checked."""
    if page.revisions:
        return None
    previous = _latest(page.assignment_id, str(parse_period(page.period).prev()))
    if previous is None:
        return None
    return _views([previous], page.indicators)[0]


def revision_view(scope: Scope, revision_id: int) -> RevisionView:
    revision = scope.revision(revision_id)
    return _views([revision], _indicators(revision.report.assignment.measure_id))[0]


# ---------------------------------------------------------------- changes


def _content(revision: ReportRevision, evidence: Sequence[Evidence]) -> dict:
    return {
        "report": revision.report_id,
        "number": revision.number,
        "percent": revision.percent,
        "complete": revision.complete,
        "narrative": revision.narrative,
        "problems": revision.problems,
        "next_steps": revision.next_steps,
        "public_summary": revision.public_summary,
        "indicator_values": revision.indicator_values,
        "indicator_notes": revision.indicator_notes,
        "source": revision.source,
        "evidence": [
            {"id": e.id, "name": e.original_name, "sha256": e.sha256, "size": e.size} for e in evidence
        ],
    }


def _writable_assignment(scope: Scope, assignment_id: int) -> Assignment:
    assignment = scope.assignment(assignment_id, write=True)
    if assignment.archived_at or assignment.measure.archived_at:
        raise ReportError("本项任务已归档(新版方案不再包含),不能再报送")
    return assignment


def record_revision(
    scope: Scope,
    assignment: Assignment,
    period: Period,
    data: ReportInput,
    *,
    at: datetime,
    source: str,
    indicators: Sequence[Indicator],
    files: Sequence[evidence_service.CheckedFile] = (),
    upload_dir: str | os.PathLike | None = None,
    expected_revision_number: int | None = None,
    written: list[Path] | None = None,
    known: hot.SaveRead | None = None,
) -> tuple[ReportRevision, list[audit.Change]]:
    """Insert the next revision of (assignment, period). Call inside `write_transaction()`; returns the
    revision and the audit changes to record. Checks the version when `expected_revision_number` is given.
    `known`: the report's state as read in this transaction (`hot.read_for_save`), not read again;
    when it holds the revision's id (PostgreSQL) and there are no files, the revision is not inserted
    here: the caller passes it to `audit.record_many(..., along=revision)`."""
    changes = []
    if known is not None:
        report_id, latest_number = known.report_id, known.latest_number
    else:
        report = Report.get_or_none(Report.assignment == assignment.id, Report.period == str(period))
        report_id = report.id if report else None
        last = (
            ReportRevision.select(fn.MAX(ReportRevision.number))
            .where(ReportRevision.report == report_id)
            .scalar()
            if report_id
            else None
        )
        latest_number = last or 0
    if report_id is None:
        report_id = Report.insert(assignment=assignment.id, period=str(period), created_at=at).execute()
        changes.append(
            audit.Change(
                "report.create",
                "report",
                report_id,
                None,
                {"assignment": assignment.id, "period": str(period)},
            )
        )
    if expected_revision_number is not None and expected_revision_number != latest_number:
        latest = (
            ReportRevision.select(ReportRevision, Report)
            .join(Report)
            .where(ReportRevision.report == report_id)
            .order_by(ReportRevision.number.desc())
            .first()
        )
        if latest is None:  # the form names a version of a report nobody has saved: nothing to compare
            raise ReportError("页面中的版本号与记录不符,内容尚未保存,请刷新页面后重新提交")
        raise StaleRevision(_views([latest], indicators)[0])
    revision = ReportRevision(
        report=report_id,
        number=latest_number + 1,
        author=scope.user_id,
        recorded_at=at,
        percent=data.percent,
        complete=data.complete,
        narrative=data.narrative,
        problems=data.problems,
        next_steps=data.next_steps,
        public_summary=data.public_summary,
        indicator_values={code: decimal_text(v) for code, v in sorted(data.indicator_values.items())},
        indicator_notes={c: n.strip() for c, n in sorted(data.indicator_notes.items()) if n.strip()},
        source=source,
    )
    if known is not None and known.revision_id is not None and not files:
        revision.id = known.revision_id  # inserted by the caller with its audit events, in one round trip
    else:
        hot.insert(ReportRevision, revision)
    stored, uploads = [], []
    for checked in files:
        if upload_dir is None:
            raise ValueError("upload_dir is needed to store evidence")
        row, path = evidence_service.store(upload_dir, checked, revision, assignment.unit_id, scope.user_id)
        if written is not None:
            written.append(path)
        stored.append(row)
        uploads.append(
            audit.Change(
                "evidence.upload",
                "evidence",
                row.id,
                None,
                {
                    "revision": revision.id,
                    "name": row.original_name,
                    "sha256": row.sha256,
                    "size": row.size,
                    "content_type": row.content_type,
                },
            )
        )
    before = {"number": latest_number} if latest_number else None
    events.emit(
        "report.filed",
        assignment.unit_id,
        {
            "assignment": assignment.id,
            "period": str(period),
            "revision": revision.id,
            "number": revision.number,
            "percent": revision.percent,
            "complete": revision.complete,
            "source": source,
        },
        at=at,
        any_subscription=known.any_subscription if known is not None else True,
    )
    changes.append(
        audit.Change("report.revise", "report_revision", revision.id, before, _content(revision, stored))
    )
    return revision, changes + uploads


def save_revision(
    scope: Scope,
    assignment_id: int,
    period: str,
    data: ReportInput,
    files: Sequence[evidence_service.CheckedFile] = (),
    expected_revision_number: int | None = None,
    *,
    upload_dir: str | os.PathLike | None = None,
    source: str = "web",
) -> Saved:
    """Save `data` as a new revision of the assignment's report for `period`, with evidence files.

    `expected_revision_number` is the latest revision number the editor saw (0 for none). If the
    report has moved on since, nothing is saved and `StaleRevision` carries the newer revision.
    Raises InvalidReport for wrong input, ReportError for a closed assignment, OutOfScope for
    another unit's assignment.
    """
    saved = save_report(
        scope,
        assignment_id,
        period,
        lambda target: (data, expected_revision_number),
        files,
        upload_dir=upload_dir,
        source=source,
    )
    assert saved is not None  # the reader above always gives data
    return saved


class UnknownPeriod(InvalidReport):
    """The period a save was posted to is not one of the assignment's (a wrong address)."""


def save_report(
    scope: Scope,
    assignment_id: int,
    period: str,
    read: Callable[[ReportTarget], tuple[ReportInput, int | None] | None],
    files: Sequence[evidence_service.CheckedFile] = (),
    *,
    upload_dir: str | os.PathLike | None = None,
    source: str = "web",
) -> Saved | None:
    """Save a new revision of the assignment's report for `period`: the lean path of a form's POST.

    One transaction and one read (`hot.read_for_save`: the target, its indicators, the report's
    state, the audit head) under the write lock; then `read(target)` turns the request into the data
    and the revision number the editor started from, or None when the input is wrong (it says why
    on the form; nothing is saved and None is returned). Raises as `save_revision`, and
    `UnknownPeriod` before `read` is called when the period is not one of the assignment's.
    """
    if len(files) > evidence_service.MAX_FILES:
        raise ReportError(f"每次最多上传 {evidence_service.MAX_FILES} 个附件")
    at = now()
    try:
        key = str(parse_period(period))
    except ValueError:
        key = period  # check_period below says what is wrong with it
    written: list[Path] = []
    try:
        with write_transaction(lock_with_first_read=True):
            known = hot.read_for_save(assignment_id, key, scope.user_id)
            if known is None:
                raise OutOfScope(f"assignment {assignment_id}")
            assignment = known.assignment
            scope.check_write_unit(assignment.unit_id)
            plan = assignment.measure.plan
            try:
                the_period = check_period(period, plan, assignment, local_date(at))
            except InvalidReport as exc:
                raise UnknownPeriod(exc.problems) from None
            got = read(ReportTarget(assignment.id, str(the_period), known.indicators, plan.signoff))
            if got is None:
                return None
            data, expected = got
            if assignment.archived_at or assignment.measure.archived_at:
                raise ReportError("本项任务已归档(新版方案不再包含),不能再报送")
            problems = validate(data, known.indicators)
            if problems:
                raise InvalidReport(problems)
            earlier = (json.loads(values) for _, _, values in known.earlier) if data.indicator_values else ()
            warnings = indicator_warnings(
                known.indicators, data, _first_values(earlier), reporting_rules(plan)
            )
            # Submitted: the person's draft of this report has done its job (on PostgreSQL it goes
            # with the statement that makes the report, when that is needed).
            draft_left = known.has_draft
            made = []
            if known.report_id is None and (expected is None or expected == 0):
                dropping = scope.user_id if draft_left and is_postgres() else None
                report_id = hot.insert_report(assignment.id, str(the_period), at, dropping)
                draft_left = draft_left and dropping is None
                known = dataclasses.replace(known, report_id=report_id)
                made.append(
                    audit.Change(
                        "report.create",
                        "report",
                        report_id,
                        None,
                        {"assignment": assignment.id, "period": str(the_period)},
                    )
                )
            revision, changes = record_revision(
                scope,
                assignment,
                the_period,
                data,
                at=at,
                source=source,
                indicators=known.indicators,
                files=files,
                upload_dir=upload_dir,
                expected_revision_number=expected,
                written=written,
                known=known,
            )
            audit.record_many(
                scope.username,
                made + changes,
                head=known.audit_head,
                along=revision
                if known.revision_id is not None and not files
                else None,  # see record_revision
            )
            if draft_left:
                hot.delete_draft(scope.user_id, assignment.id, str(the_period))
    except BaseException:
        for path in written:  # the rows rolled back; so do the files
            path.unlink(missing_ok=True)
        raise
    evidence_service.settle(written)  # committed: the files take their names
    return Saved(revision, warnings)


# ---------------------------------------------------------------- drafts (草稿)

DRAFT_TEXT_FIELDS = ("percent", "complete", "narrative", "problems", "next_steps", "public_summary")
DRAFT_MAX_CHARS = 200_000  # far above what the form accepts; only refuses abuse


def draft_field_names(indicators: Sequence[Indicator]) -> tuple[str, ...]:
    return DRAFT_TEXT_FIELDS + tuple(f"{k}_{i.id}" for i in indicators for k in ("ind", "note"))


def save_draft(scope: Scope, assignment_id: int, period: str, fields: Mapping[str, str]) -> ReportDraft:
    """Keep what the person typed, unsubmitted, for this assignment and period (one draft each).

    A draft is the person's own scratch text, not a report: nobody else sees it, and it is not
    audited (a report becomes a record only when saved as a revision)."""
    assignment = _writable_assignment(scope, assignment_id)
    the_period = check_period(period, assignment.measure.plan, assignment, local_date(now()))
    allowed = draft_field_names(_indicators(assignment.measure_id))
    kept = {name: str(fields[name]) for name in allowed if fields.get(name) not in (None, "")}
    if sum(len(v) for v in kept.values()) > DRAFT_MAX_CHARS:
        raise ReportError("草稿过长,未保存")
    with write_transaction():
        draft = ReportDraft.get_or_none(
            ReportDraft.user == scope.user_id,
            ReportDraft.assignment == assignment.id,
            ReportDraft.period == str(the_period),
        )
        if draft is None:
            return ReportDraft.create(
                user=scope.user_id,
                assignment=assignment.id,
                period=str(the_period),
                fields=kept,
                saved_at=now(),
            )
        draft.fields, draft.saved_at = kept, now()
        draft.save()
        return draft


def draft_of(scope: Scope, assignment_id: int, period: str) -> ReportDraft | None:
    """The person's own unsubmitted draft for this report, if any."""
    return ReportDraft.get_or_none(
        ReportDraft.user == scope.user_id,
        ReportDraft.assignment == assignment_id,
        ReportDraft.period == period,
    )


def _latest_of_report(report_id: int) -> ReportRevision:
    return (
        ReportRevision.select()
        .where(ReportRevision.report == report_id)
        .order_by(ReportRevision.number.desc())
        .first()
    )


def return_revision(scope: Scope, revision_id: int, reason: str) -> ReportReturn:
    """The office returns a revision for revision (退回), with a reason the unit sees on its home.

    Only the latest revision of a report can be returned, once; the unit answers with a new revision.
    """
    if not scope.is_office:
        raise OutOfScope(f"return revision {revision_id}")
    reason = (reason or "").strip()
    if not reason:
        raise ReportError("请填写退回原因")
    if len(reason) > REASON_LIMIT:
        raise ReportError(f"退回原因不能超过 {REASON_LIMIT} 字")
    with write_transaction():
        revision = scope.revision(revision_id)
        latest = _latest_of_report(revision.report_id)
        if latest.id != revision.id:
            raise ReportError(f"第 {revision.number} 版已有更新的第 {latest.number} 版,只能退回最新一版")
        if ReportReturn.select().where(ReportReturn.revision == revision.id).exists():
            raise ReportError(f"第 {revision.number} 版已经退回过")
        row = ReportReturn.create(revision=revision.id, by=scope.user_id, at=now(), reason=reason)
        audit.record(
            scope.username,
            "report.return",
            "report_revision",
            revision.id,
            None,
            {
                "return": row.id,
                "reason": reason,
                "number": revision.number,
                "period": revision.report.period,
                "assignment": revision.report.assignment_id,
            },
        )
        events.emit(
            "report.returned",
            revision.report.assignment.unit_id,
            {
                "assignment": revision.report.assignment_id,
                "period": revision.report.period,
                "revision": revision.id,
                "number": revision.number,
                "reason": reason,
            },
        )
    return row


def sign_off(scope: Scope, revision_id: int) -> ReportSignoff:
    """The unit leader signs off the latest revision where the plan requires it; only then it counts."""
    with write_transaction():
        revision = scope.revision(revision_id)
        assignment = revision.report.assignment
        scope.check_sign_off(assignment.unit_id)
        plan = assignment.measure.plan
        if not plan.signoff:
            raise ReportError("本方案不要求单位负责人签发")
        latest = _latest_of_report(revision.report_id)
        if latest.id != revision.id:
            raise ReportError(f"已有更新的第 {latest.number} 版,请签发最新一版")
        if ReportReturn.select().where(ReportReturn.revision == revision.id).exists():
            raise ReportError("该版本已被退回,请修改后重新提交再签发")
        if ReportSignoff.select().where(ReportSignoff.revision == revision.id).exists():
            raise ReportError("该版本已经签发")
        row = ReportSignoff.create(revision=revision.id, by=scope.user_id, at=now())
        audit.record(
            scope.username,
            "report.signoff",
            "report_revision",
            revision.id,
            None,
            {
                "signoff": row.id,
                "number": revision.number,
                "period": revision.report.period,
                "assignment": assignment.id,
            },
        )
    return row


@dataclass(frozen=True)
class ExtensionView:
    id: int
    requested_by: str
    requested_at: datetime
    current_deadline: date | None
    requested_deadline: date
    reason: str
    decision: str | None
    decided_by: str | None
    decided_at: datetime | None
    new_deadline: date | None
    decision_reason: str

    @property
    def state_label(self) -> str:
        return {"approved": "已批准", "refused": "未批准"}.get(self.decision or "", "待审核")


def _deadline_in_force(assignment: Assignment) -> date | None:
    approved = (
        ExtensionRequest.select()
        .where(ExtensionRequest.assignment == assignment.id, ExtensionRequest.decision == "approved")
        .order_by(ExtensionRequest.decided_at.desc(), ExtensionRequest.id.desc())
        .first()
    )
    if approved is not None:
        return approved.new_deadline or approved.requested_deadline
    return assignment.measure.deadline


def request_extension(scope: Scope, assignment_id: int, new_date: date, reason: str) -> ExtensionRequest:
    """A unit asks for a later completion deadline (延期申请) with a reason; the office decides.

    Only for a measure with a dated deadline (not 长期坚持 or a recurring duty), for a day after the
    deadline in force and after today, and one open request at a time.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReportError("请填写申请延期的理由")
    if len(reason) > REASON_LIMIT:
        raise ReportError(f"申请理由不能超过 {REASON_LIMIT} 字")
    at = now()
    with write_transaction():
        assignment = _writable_assignment(scope, assignment_id)
        measure = assignment.measure
        if measure.deadline is None or measure.recurring:
            raise ReportError("本项任务没有具体完成时限,无需申请延期")
        current = _deadline_in_force(assignment)
        if new_date <= (current or date.min):
            raise ReportError(f"申请的期限应晚于现行完成时限({current:%Y-%m-%d})")
        if new_date <= local_date(at):
            raise ReportError("申请的期限应晚于今天")
        if new_date > date(measure.plan.end.year + 5, 12, 31):
            raise ReportError("申请的期限过远,请核对")
        pending = ExtensionRequest.select().where(
            ExtensionRequest.assignment == assignment.id, ExtensionRequest.decision.is_null()
        )
        if pending.exists():
            raise ReportError("已有一份延期申请正在审核,请等待督查室答复")
        row = ExtensionRequest.create(
            assignment=assignment.id,
            requested_by=scope.user_id,
            requested_at=at,
            current_deadline=current,
            requested_deadline=new_date,
            reason=reason,
        )
        audit.record(
            scope.username,
            "extension.request",
            "extension_request",
            row.id,
            None,
            {
                "assignment": assignment.id,
                "current_deadline": current,
                "requested_deadline": new_date,
                "reason": reason,
            },
        )
    return row


def extension_history(scope: Scope, assignment_id: int) -> list[ExtensionView]:
    """Every extension request of the assignment, newest first, with the office's decisions."""
    assignment = scope.assignment(assignment_id)
    rows = list(
        ExtensionRequest.select()
        .where(ExtensionRequest.assignment == assignment.id)
        .order_by(ExtensionRequest.requested_at.desc(), ExtensionRequest.id.desc())
    )
    ids = {r.requested_by_id for r in rows} | {r.decided_by_id for r in rows if r.decided_by_id}
    names = {u.id: u.display_name for u in User.select().where(User.id.in_(ids or [0]))}
    return [
        ExtensionView(
            r.id,
            names.get(r.requested_by_id, "?"),
            r.requested_at,
            r.current_deadline,
            r.requested_deadline,
            r.reason,
            r.decision,
            names.get(r.decided_by_id) if r.decided_by_id else None,
            r.decided_at,
            r.new_deadline,
            r.decision_reason,
        )
        for r in rows
    ]


# ---------------------------------------------------------------- the unit's home and history


@dataclass(frozen=True)
class HomeRow:
    assignment_id: int
    measure_code: str
    measure_title: str
    role: str
    deadline: date | None
    deadline_text: str | None
    light: str
    light_reasons: tuple[str, ...]
    period: str
    due: datetime
    status: str
    status_reason: str
    latest_number: int
    latest_percent: int | None
    latest_at: datetime | None
    returned: bool
    awaiting_signoff: bool


@dataclass(frozen=True)
class PlanHome:
    code: str
    title: str
    period: str
    ended: bool
    signoff: bool
    rows: tuple[HomeRow, ...]
    phase: str = ""  # "集中实施阶段，距结束 45 天"


@dataclass(frozen=True)
class MissingReport:
    assignment_id: int
    plan_code: str
    measure_code: str
    measure_title: str
    period: str
    reason: str


@dataclass(frozen=True)
class ReturnedRevision:
    assignment_id: int
    plan_code: str
    measure_code: str
    measure_title: str
    period: str
    number: int
    by: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class FindingNote:
    id: int
    title: str
    detail: str
    measure_code: str | None
    rectify_by: date
    state: str
    overdue: bool


@dataclass(frozen=True)
class ReminderNote:
    kind: str
    message: str
    period: str | None
    step: int
    created_at: datetime
    id: int = 0
    read_at: datetime | None = None  # when the person looking marked it read (已读), per person


@dataclass(frozen=True)
class UnitHome:
    unit_id: int
    unit: str
    as_of: datetime
    plans: tuple[PlanHome, ...]
    missing: tuple[MissingReport, ...]
    returned: tuple[ReturnedRevision, ...]
    awaiting_signoff: tuple[HomeRow, ...]
    findings: tuple[FindingNote, ...]
    reminders: tuple[ReminderNote, ...]


def _unit_for(scope: Scope, unit_id: int | None) -> Unit:
    unit_id = scope.unit_id if unit_id is None else unit_id
    if unit_id is None:
        raise OutOfScope("no unit")
    scope.check_unit(unit_id)
    unit = Unit.get_or_none(Unit.id == unit_id)
    if unit is None:
        raise OutOfScope(f"unit {unit_id}")
    return unit


def unit_home(scope: Scope, as_of: datetime | None = None, unit_id: int | None = None) -> UnitHome:
    """A unit's work as of `as_of`: its assignments grouped by plan with light, deadline, this period's
    due moment and report status; what is missing; returned revisions with the office's reasons;
    revisions waiting for the leader's sign-off; open findings and recent reminders addressed to it."""
    as_of = as_of or now()
    unit = _unit_for(scope, unit_id)
    today = local_date(as_of)
    plan_ids = (
        Measure.select(Measure.plan)
        .join(Assignment)
        .where(Assignment.unit == unit.id, Assignment.archived_at.is_null(), Measure.archived_at.is_null())
        .distinct()
    )
    plans = list(Plan.select().where(Plan.id.in_(plan_ids)).order_by(Plan.end.desc(), Plan.code))
    latest_by_key: dict[tuple[int, str], ReportRevision] = {}
    for r in (
        ReportRevision.select(ReportRevision, Report)
        .join(Report)
        .join(Assignment)
        .where(Assignment.unit == unit.id)
        .order_by(ReportRevision.number)
    ):
        latest_by_key[(r.report.assignment_id, r.report.period)] = r
    latest_ids = [r.id for r in latest_by_key.values()]
    returned_rows = {
        r.revision_id: r
        for r in ReportReturn.select()
        .where(ReportReturn.revision.in_(latest_ids or [0]))
        .order_by(ReportReturn.at)
    }
    signed = {
        s.revision_id for s in ReportSignoff.select().where(ReportSignoff.revision.in_(latest_ids or [0]))
    }
    names = {
        u.id: u.display_name
        for u in User.select().where(User.id.in_([r.by_id for r in returned_rows.values()] or [0]))
    }

    homes, missing, returned, awaiting = [], [], [], []
    still_open = Period.of(today).prev().first_day
    for plan in plans:
        ended = today > plan.end
        period = Period.of(min(today, plan.end))
        # A plan that has ended reads as it stood at its end: no month after it is due.
        moment = min(as_of, end_of_day(plan.end))
        facts = gather(plan, moment, unit_id=unit.id)
        measures = {
            m.code: m for m in Measure.select().where(Measure.plan == plan.id, Measure.archived_at.is_null())
        }
        rows = []
        for f in sorted(facts.assignments, key=lambda f: _code_key(f.measure_code)):
            measure = measures.get(f.measure_code)
            if measure is None:
                continue
            # A measure on its own cadence shows its own period (2024Q2), never the month.
            own = period if f.cadence == "monthly" else period_of(f.cadence, min(today, plan.end))
            state = report_status(f, own, facts.rules, moment)
            light = assignment_light(f, facts.rules, moment)
            latest = latest_by_key.get((f.id, str(own)))
            is_returned = latest is not None and latest.id in returned_rows
            needs_sign = plan.signoff and latest is not None and latest.id not in signed and not is_returned
            row = HomeRow(
                assignment_id=f.id,
                measure_code=f.measure_code,
                measure_title=f.measure_title,
                role=f.role.value,
                deadline=measure.deadline,
                deadline_text=measure.deadline_text,
                light=light.rag.value,
                light_reasons=light.reasons,
                period=str(own),
                due=state.due,
                status=state.status.value,
                status_reason=state.reason,
                latest_number=latest.number if latest else 0,
                latest_percent=latest.percent if latest else None,
                latest_at=latest.recorded_at if latest else None,
                returned=is_returned,
                awaiting_signoff=needs_sign,
            )
            rows.append(row)
            if needs_sign:
                awaiting.append(row)
            last = last_due_report(f, facts.rules, moment)
            unsigned = latest_by_key.get((f.id, str(last.period))) if last is not None else None
            if (
                last is not None
                and last.status.value == "missing"
                and plan.signoff
                and unsigned is not None
                and unsigned.id not in signed
                and unsigned.id not in returned_rows
            ):
                # Filed but not yet signed: the leader's job (待签发), not a missing report.
                if str(last.period) != str(own):
                    awaiting.append(
                        dataclasses.replace(
                            row,
                            period=str(last.period),
                            latest_number=unsigned.number,
                            latest_percent=unsigned.percent,
                            latest_at=unsigned.recorded_at,
                            awaiting_signoff=True,
                        )
                    )
            elif last is not None and last.status.value == "missing":
                missing.append(
                    MissingReport(
                        f.id, plan.code, f.measure_code, f.measure_title, str(last.period), last.reason
                    )
                )
        homes.append(
            PlanHome(
                plan.code,
                plan.title,
                str(period),
                ended,
                plan.signoff,
                tuple(rows),
                phase_note(plan.phases or [], today),
            )
        )
        for (assignment_id, period_text), latest in latest_by_key.items():
            back = returned_rows.get(latest.id)
            f = next((x for x in facts.assignments if x.id == assignment_id), None)
            # Only this month's and last month's returns are work to do (待修改); older ones are history.
            if back is not None and f is not None and parse_period(period_text).last_day >= still_open:
                returned.append(
                    ReturnedRevision(
                        assignment_id,
                        plan.code,
                        f.measure_code,
                        f.measure_title,
                        period_text,
                        latest.number,
                        names.get(back.by_id, "督查室"),
                        back.at,
                        back.reason,
                    )
                )

    findings = [
        FindingNote(
            f.id,
            f.title,
            f.detail,
            f.measure.code if f.measure_id else None,
            f.rectify_by,
            f.state,
            f.state != "closed" and f.rectify_by < today,
        )
        for f in Finding.select(Finding, Measure)
        .join(Measure, join_type=JOIN.LEFT_OUTER, on=(Finding.measure == Measure.id))
        .where(Finding.unit == unit.id, Finding.state != "closed", Finding.created_at <= as_of)
        .order_by(Finding.rectify_by)
    ]
    # A chase for a report that has since been filed has done its job: the home stops listing it.
    filed = set(latest_by_key)
    shown = [
        r
        for r in Reminder.select()
        .where(Reminder.unit == unit.id, Reminder.created_at <= as_of)
        .order_by(Reminder.created_at.desc())
        .limit(100)
        if not (r.kind.startswith("report_") and (r.assignment_id, r.period) in filed)
    ][:20]
    read = {}
    if shown:
        for d in Delivery.select(Delivery.reminder, Delivery.read_at).where(
            Delivery.reminder.in_([r.id for r in shown]),
            Delivery.channel == "in_app",
            Delivery.recipient == f"user:{scope.user_id}",
            Delivery.read_at.is_null(False),
        ):
            read[d.reminder_id] = d.read_at
    reminders = [
        ReminderNote(r.kind, r.message, r.period, r.step, r.created_at, r.id, read.get(r.id)) for r in shown
    ]
    returned.sort(key=lambda r: r.at, reverse=True)
    return UnitHome(
        unit.id,
        unit.name,
        as_of,
        tuple(homes),
        tuple(missing),
        tuple(returned),
        tuple(awaiting),
        tuple(findings),
        tuple(reminders),
    )


def awaiting_signoff_count(scope: Scope) -> int:
    """How many of the unit's reports wait for the unit leader's signature (the latest revision of a
    report in a plan with sign-off, neither signed nor returned): the count in a leader's header."""
    if scope.unit_id is None:
        return 0
    latest = ReportRevision.select(fn.MAX(ReportRevision.id)).group_by(ReportRevision.report)
    return (
        ReportRevision.select()
        .join(Report)
        .join(Assignment)
        .join(Measure)
        .join(Plan)
        .where(
            ReportRevision.id.in_(latest),
            Plan.signoff == True,  # noqa: E712
            Assignment.unit == scope.unit_id,
            ~fn.EXISTS(ReportSignoff.select().where(ReportSignoff.revision == ReportRevision.id)),
            ~fn.EXISTS(ReportReturn.select().where(ReportReturn.revision == ReportRevision.id)),
        )
        .count()
    )


def _code_key(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in code.replace("-", ".").split("."))


@dataclass(frozen=True)
class AssignmentHistory:
    assignment_id: int
    unit: str
    plan_code: str
    plan_title: str
    measure_code: str
    measure_title: str
    role: str
    deadline: date | None
    deadline_text: str | None
    revisions: tuple[RevisionView, ...]  # every period, newest period and number first
    extensions: tuple[ExtensionView, ...]
    cadence: str = "monthly"  # the measure's (or its plan's): its periods read 2024Q2, 2024-W23 …


def report_history(scope: Scope, assignment_id: int) -> AssignmentHistory:
    """Every revision of every period of the assignment, with returns and sign-offs, and its
    extension requests."""
    assignment = scope.assignment(assignment_id)
    measure = assignment.measure
    views = _views(_revisions_of(assignment.id), _indicators(measure.id))
    return AssignmentHistory(
        assignment.id,
        assignment.unit.name,
        measure.plan.code,
        measure.plan.title,
        measure.code,
        measure.title,
        assignment.role,
        measure.deadline,
        measure.deadline_text,
        tuple(views),
        tuple(extension_history(scope, assignment_id)),
        cadence_of(measure, measure.plan),
    )
