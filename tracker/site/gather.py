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


def _sections(plan: Plan, as_of: datetime) -> tuple[SectionInfo, ...]:
    parent = Section.alias()
    rows = (
        Section.select(Section.code, Section.title, parent.code, Section.position)
        .join(parent, on=(Section.parent == parent.id), join_type=JOIN.LEFT_OUTER)
        .where(Section.plan == plan.id, Section.archived_at.is_null() | (Section.archived_at > as_of))
        .tuples()
    )
    return tuple(
        SectionInfo(code, title, parent_code, position) for code, title, parent_code, position in rows
    )


def _measures(plan: Plan, as_of: datetime) -> dict[str, MeasureInfo]:
    rows = (
        Measure.select(
            Measure.code,
            Section.code,
            Measure.public,
            Measure.deadline,
            Measure.deadline_text,
            Measure.position,
            Measure.reconstructed,
        )
        .join(Section)
        .where(Measure.plan == plan.id, Measure.archived_at.is_null() | (Measure.archived_at > as_of))
        .tuples()
    )
    return {
        code: MeasureInfo(code, section, bool(public), deadline, text or "", position, bool(reconstructed))
        for code, section, public, deadline, text, position, reconstructed in rows
    }


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


def _findings(plan: Plan, as_of: datetime) -> dict[int, FindingInfo]:
    rows = (
        Finding.select(
            Finding.id, Finding.public, Finding.detail_public, Finding.title, Finding.detail, Finding.severity
        )
        .where(Finding.plan == plan.id, Finding.created_at <= as_of)
        .tuples()
    )
    return {
        row[0]: FindingInfo(row[0], bool(row[1]), bool(row[2]), row[3], row[4] or "", row[5]) for row in rows
    }


def _commentary(plan: Plan, key: str) -> str:
    # The office's text on a board is part of what is published; a later edit shows as a change
    # that a republish refuses to apply (see services.publishing), never silently.
    return (
        Bulletin.select(Bulletin.commentary).where(Bulletin.plan == plan.id, Bulletin.board == key).scalar()
        or ""
    )


def gather_month(plan: Plan, period: Period) -> MonthGathered:
    """Everything the pages of `period`'s monthly board need, as recorded up to its cut-off."""
    board, facts = boards.monthly_board(plan, period)
    as_of = facts.as_of
    return MonthGathered(
        plan=PlanInfo.of(plan),
        period=period,
        as_of=as_of,
        board=board,
        facts=facts,
        sections=_sections(plan, as_of),
        measures=_measures(plan, as_of),
        summaries=_summaries(plan, as_of),
        findings=_findings(plan, as_of),
        commentary=_commentary(plan, str(period)),
    )


def gather_window(plan: Plan, window: Quarter | Year) -> WindowGathered:
    """Everything a quarterly bulletin's or a yearly assessment's pages need, as of its last cut-off."""
    result = boards.assessment(plan, window)
    return WindowGathered(
        plan=PlanInfo.of(plan),
        window=window,
        assessment=result,
        findings=_findings(plan, result.as_of),
        commentary=_commentary(plan, str(window)),
    )


def gather(plan: Plan, window: Window) -> MonthGathered | WindowGathered:
    return gather_month(plan, window) if isinstance(window, Period) else gather_window(plan, window)
