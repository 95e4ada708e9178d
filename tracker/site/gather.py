"""Gather: everything one board's pages need, read from the store in one pass.

Each board costs a fixed number of queries whatever its page count: the board or assessment from
`services.boards` (facts in one query per kind of record), then a few batched queries for what the
rules do not carry (sections, measure flags, public summaries, finding flags, the office's
commentary). Everything is cut at the board's moment, so later data never reaches a published board.
What is public is decided later, in `tracker.site.public`; nothing here is written anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from peewee import JOIN, fn

from tracker.rules import snapshot
from tracker.rules.periods import Period, Quarter, Window, Year
from tracker.services import boards
from tracker.services.facts import PlanFacts
from tracker.store.models import (
    Assignment,
    Bulletin,
    Finding,
    Measure,
    Plan,
    Report,
    ReportRevision,
    Section,
    stored_moment,
)


@dataclass(frozen=True)
class PlanInfo:
    """The plan as the notice prints it (all public)."""

    code: str
    title: str
    issuer: str
    doc_number: str
    issued: date | None
    start: date
    end: date
    phases: tuple = ()  # the plan file's {name, start, end}

    @classmethod
    def of(cls, plan: Plan) -> PlanInfo:
        return cls(
            plan.code,
            plan.title,
            plan.issuer or "",
            plan.doc_number or "",
            plan.issued,
            plan.start,
            plan.end,
            tuple(plan.phases or ()),
        )


@dataclass(frozen=True)
class SectionInfo:
    code: str
    title: str
    parent: str | None
    position: int


@dataclass(frozen=True)
class MeasureInfo:
    code: str
    section: str
    public: bool
    deadline: date | None
    deadline_text: str
    position: int
    reconstructed: bool = False  # wording, units or deadline not printed in the notice


@dataclass(frozen=True)
class FindingInfo:
    """A finding's publication flags with its title and detail; `public` decides which may show."""

    id: int
    public: bool
    detail_public: bool
    title: str
    detail: str
    severity: str


@dataclass(frozen=True)
class MonthGathered:
    plan: PlanInfo
    period: Period
    as_of: datetime
    board: snapshot.Board
    facts: PlanFacts
    sections: tuple[SectionInfo, ...]
    measures: dict[str, MeasureInfo]
    summaries: dict[int, str]  # lead assignment id → public summary of its latest revision
    findings: dict[int, FindingInfo]
    commentary: str


@dataclass(frozen=True)
class WindowGathered:
    plan: PlanInfo
    window: Quarter | Year
    assessment: boards.Assessment
    findings: dict[int, FindingInfo]
    commentary: str


def _existed(archived_at, as_of: datetime) -> bool:
    return archived_at is None or archived_at > as_of


@dataclass(frozen=True)
class Shared:
    """What every board of one publication reads alike, read once for the whole build (each board
    keeps what existed by its own cut-off): sections, measures, findings' public parts, commentary."""

    sections: tuple  # (code, title, parent code, position, archived_at)
    measures: (
        tuple  # (code, section code, public, deadline, deadline text, position, reconstructed, archived_at)
    )
    findings: tuple  # (id, public, detail public, title, detail, severity, created_at)
    commentary: dict[str, str]  # board key → the office's text

    @classmethod
    def of(cls, plan: Plan) -> Shared:
        parent = Section.alias()
        sections = (
            Section.select(Section.code, Section.title, parent.code, Section.position, Section.archived_at)
            .join(parent, on=(Section.parent == parent.id), join_type=JOIN.LEFT_OUTER)
            .where(Section.plan == plan.id)
            .order_by(Section.id)
            .tuples()
        )
        measures = (
            Measure.select(
                Measure.code,
                Section.code,
                Measure.public,
                Measure.deadline,
                Measure.deadline_text,
                Measure.position,
                Measure.reconstructed,
                Measure.archived_at,
            )
            .join(Section)
            .where(Measure.plan == plan.id)
            .order_by(Measure.id)
            .tuples()
        )
        findings = (
            Finding.select(
                Finding.id,
                Finding.public,
                Finding.detail_public,
                Finding.title,
                Finding.detail,
                Finding.severity,
                Finding.created_at,
            )
            .where(Finding.plan == plan.id)
            .order_by(Finding.id)
            .tuples()
        )
        commentary = (
            Bulletin.select(Bulletin.board, Bulletin.commentary).where(Bulletin.plan == plan.id).tuples()
        )
        return cls(
            tuple(sections),
            tuple(measures),
            tuple(findings),
            {board: text or "" for board, text in commentary},
        )


def _sections(plan: Plan, as_of: datetime, shared: Shared | None = None) -> tuple[SectionInfo, ...]:
    shared = shared or Shared.of(plan)
    return tuple(
        SectionInfo(code, title, parent_code, position)
        for code, title, parent_code, position, archived_at in shared.sections
        if _existed(stored_moment(archived_at), as_of)
    )


def _measures(plan: Plan, as_of: datetime, shared: Shared | None = None) -> dict[str, MeasureInfo]:
    shared = shared or Shared.of(plan)
    return {
        code: MeasureInfo(
            code, section, bool(public), _date(deadline), text or "", position, bool(reconstructed)
        )
        for code, section, public, deadline, text, position, reconstructed, archived_at in shared.measures
        if _existed(stored_moment(archived_at), as_of)
    }


def _date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def _summaries(plan: Plan, as_of: datetime) -> dict[int, str]:
    """The public summary of each lead assignment's latest revision recorded by `as_of` (one query)."""
    of_leads = (
        Report.select(Report.id)
        .join(Assignment)
        .join(Measure)
        .where(Measure.plan == plan.id, Assignment.role == "lead")
    )
    latest = (
        ReportRevision.select(
            Report.assignment.alias("assignment"), fn.MAX(ReportRevision.recorded_at).alias("at")
        )
        .join(Report)
        .where(ReportRevision.report.in_(of_leads), ReportRevision.recorded_at <= as_of)
        .group_by(Report.assignment)
    )
    rows = (
        ReportRevision.select(Report.assignment, ReportRevision.id, ReportRevision.public_summary)
        .join(Report)
        .join(
            latest,
            on=((latest.c.assignment == Report.assignment) & (latest.c.at == ReportRevision.recorded_at)),
        )
        .tuples()
    )
    best: dict[int, tuple[int, str]] = {}
    for assignment, revision, summary in rows:
        if assignment not in best or revision > best[assignment][0]:  # same instant: the later save
            best[assignment] = (revision, summary or "")
    return {assignment: summary for assignment, (_, summary) in best.items()}


def _findings(plan: Plan, as_of: datetime, shared: Shared | None = None) -> dict[int, FindingInfo]:
    shared = shared or Shared.of(plan)
    return {
        row[0]: FindingInfo(row[0], bool(row[1]), bool(row[2]), row[3], row[4] or "", row[5])
        for row in shared.findings
        if stored_moment(row[6]) <= as_of
    }


def _commentary(plan: Plan, key: str, shared: Shared | None = None) -> str:
    # The office's text on a board is part of what is published; a later edit shows as a change
    # that a republish refuses to apply (see services.publishing), never silently.
    return (shared or Shared.of(plan)).commentary.get(key, "")


def gather_month(
    plan: Plan, period: Period, shared: Shared | None = None, facts: PlanFacts | None = None
) -> MonthGathered:
    """Everything the pages of `period`'s monthly board need, as recorded up to its cut-off."""
    shared = shared or Shared.of(plan)
    board, facts = boards.monthly_board(plan, period, facts)
    as_of = facts.as_of
    return MonthGathered(
        plan=PlanInfo.of(plan),
        period=period,
        as_of=as_of,
        board=board,
        facts=facts,
        sections=_sections(plan, as_of, shared),
        measures=_measures(plan, as_of, shared),
        summaries=_summaries(plan, as_of),
        findings=_findings(plan, as_of, shared),
        commentary=_commentary(plan, str(period), shared),
    )


def gather_window(
    plan: Plan, window: Quarter | Year, shared: Shared | None = None, facts: PlanFacts | None = None
) -> WindowGathered:
    """Everything a quarterly bulletin's or a yearly assessment's pages need, as of its last cut-off."""
    shared = shared or Shared.of(plan)
    result = boards.assessment(plan, window, facts)
    return WindowGathered(
        plan=PlanInfo.of(plan),
        window=window,
        assessment=result,
        findings=_findings(plan, result.as_of, shared),
        commentary=_commentary(plan, str(window), shared),
    )


def gather(
    plan: Plan, window: Window, shared: Shared | None = None, facts: PlanFacts | None = None
) -> MonthGathered | WindowGathered:
    """One board's gathering; a publication of several passes one `Shared` to all of them, and each
    board its facts from `boards.gather_once`."""
    if isinstance(window, Period):
        return gather_month(plan, window, shared, facts)
    return gather_window(plan, window, shared, facts)
