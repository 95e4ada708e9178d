"""Use cases over loaded plans: the counts `tracker plans` prints and the structure pages show."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import peewee as pw

from tracker.services.facts import derived_for
from tracker.store.models import Assignment, Indicator, Measure, Milestone, Plan, Section, Unit


@dataclass(frozen=True)
class PlanSummary:
    code: str
    title: str
    sections: int  # top-level sections: the groups the notice counts ("3 areas", "10 actions")
    sections_total: int  # every section, nested ones included
    measures: int  # active measures
    archived: int  # measures a reload dropped
    units: int  # units with at least one active assignment
    assignments: int  # active assignments

    def as_json(self) -> dict:
        return asdict(self)


def plan_summaries() -> list[PlanSummary]:
    """Every loaded plan with its counts, in code order."""
    out = []
    for plan in Plan.select().order_by(Plan.code):
        active_sections = Section.select().where(Section.plan == plan, Section.archived_at.is_null())
        measures = Measure.select().where(Measure.plan == plan)
        active = (
            Assignment.select()
            .join(Measure)
            .where(Measure.plan == plan, Measure.archived_at.is_null(), Assignment.archived_at.is_null())
        )
        out.append(
            PlanSummary(
                code=plan.code,
                title=plan.title,
                sections=active_sections.where(Section.parent.is_null()).count(),
                sections_total=active_sections.count(),
                measures=measures.where(Measure.archived_at.is_null()).count(),
                archived=measures.where(Measure.archived_at.is_null(False)).count(),
                units=active.select(pw.fn.COUNT(Assignment.unit.distinct())).scalar() or 0,
                assignments=active.count(),
            )
        )
    return out


@dataclass(frozen=True)
class MeasureView:
    measure: Measure
    leads: list[Unit]
    others: list[tuple[str, Unit]]


def plan_structure(code: str):
    """A plan with its active sections in order and each measure's units; None when unknown."""
    plan = Plan.get_or_none(Plan.code == code)
    if plan is None:
        return None
    sections = list(
        Section.select().where(Section.plan == plan, Section.archived_at.is_null()).order_by(Section.position)
    )
    measures = list(Measure.active().where(Measure.plan == plan).order_by(Measure.position))
    assignments = (
        Assignment.active()
        .join(Unit, on=(Assignment.unit == Unit.id))
        .switch(Assignment)
        .join(Measure)
        .where(Measure.plan == plan, Measure.archived_at.is_null())
        .order_by(Assignment.position)
        .select(Assignment, Unit)
    )
    by_measure: dict[int, list[Assignment]] = {}
    for a in assignments:
        by_measure.setdefault(a.measure_id, []).append(a)
    by_section: dict[int, list[Measure]] = {}
    for m in measures:
        m.unit_rows = by_measure.get(m.id, [])
        by_section.setdefault(m.section_id, []).append(m)
    for s in sections:
        s.measure_rows = by_section.get(s.id, [])
    return plan, sections


def measure_detail(plan_code: str, measure_code: str):
    """One measure of a plan with its assignments, indicators and milestones; None when unknown."""
    m = (
        Measure.select(Measure, Plan)
        .join(Plan)
        .where(Plan.code == plan_code, Measure.code == measure_code)
        .first()
    )
    if m is None:
        return None
    m.unit_rows = list(Assignment.active().where(Assignment.measure == m).order_by(Assignment.position))
    m.indicator_rows = list(
        Indicator.select()
        .where(Indicator.measure == m, Indicator.archived_at.is_null())
        .order_by(Indicator.position)
    )
    for indicator in m.indicator_rows:
        indicator.milestone_rows = list(
            Milestone.select()
            .where(Milestone.indicator == indicator, Milestone.archived_at.is_null())
            .order_by(Milestone.date)
        )
        if not indicator.milestone_rows and indicator.target is not None:
            # Only an end target in the notice: the milestones the rules derive (shown as 推算).
            indicator.milestone_rows = list(derived_for(m.plan, indicator))
    return m
