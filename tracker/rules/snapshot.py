"""The monthly board (月调度) of a period, computed only from what was recorded up to its cut-off."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tracker.rules.lights import Light, Rag, behind_milestone, leads_of, light_of, measure_combine
from tracker.rules.periods import Period, cutoff_moment, end_of_minute, local_date
from tracker.rules.progress import Reading, percent_text, read
from tracker.rules.status import ReportState, ReportStatus, period_status
from tracker.rules.values import AssignmentFacts, ReportingRules, Role

# Worst first when several leads report on one measure.
REPORT_SEVERITY = {
    ReportStatus.MISSING: 3,
    ReportStatus.LATE: 2,
    ReportStatus.ON_TIME: 1,
    ReportStatus.NOT_DUE: 0,
}


@dataclass(frozen=True)
class MeasureRow:
    """One measure on the board: its light through its leads, progress and report status."""

    code: str
    title: str
    lead: tuple[str, ...]
    light: Rag
    reasons: tuple[str, ...]
    percent: int | None
    report: ReportStatus
    report_reasons: tuple[str, ...]
    planned: Decimal | None = None  # the progress the plan expects at the cut-off (see `planned_of`)
    indicators: tuple[MeasureIndicator, ...] = ()


@dataclass(frozen=True)
class MeasureIndicator:
    """A measure's indicator on the board: the whole target and the value read at the (first) lead,
    i.e. the roll-up of its members' latest values up to the cut-off where it rolls up."""

    name: str
    unit: str | None
    target: Decimal | None
    value: Decimal | None
    direction: str = "up"
    derived: bool = False  # its milestones were derived from the end target (推算), not printed


@dataclass(frozen=True)
class LightCounts:
    red: int = 0
    amber: int = 0
    green: int = 0
    done: int = 0
    not_started: int = 0


@dataclass(frozen=True)
class UnitRow:
    """One unit on the board: its assignments and how their reports and lights stand."""

    name: str
    short: str
    assignments: int
    on_time: int
    late: int
    missing: int
    not_due: int
    lights: LightCounts
    kind: str = ""
    parent: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndicatorReading:
    """An assignment's indicator as of the cut-off: the last value reported for it (see
    `Reading.indicator_value`; None before any) and why it is behind its current milestone (see
    `lights.behind_milestone`; None when it is not)."""

    name: str
    value: Decimal | None
    behind: str | None


@dataclass(frozen=True)
class AssignmentRow:
    """One assignment on the board, as the board read it: its light and reasons (see
    `lights.light_of`), its last reported percent, its report status for the board's period with the
    clerk's sentence (see `status.period_status`), and its indicators in the order of their specs.

    `facts` are the assignment's facts as of the cut-off, the ones everything else here was read from.
    """

    id: int
    measure: str
    unit: str
    short: str
    role: Role
    light: Rag
    reasons: tuple[str, ...]
    percent: int | None
    report: ReportStatus
    report_reason: str
    indicators: tuple[IndicatorReading, ...]
    facts: AssignmentFacts = field(repr=False, compare=False)


@dataclass(frozen=True)
class Board:
    """A period's board as of its cut-off (`cutoff` is the printed 23:59 moment).

    `assignments` holds one row per assignment, in the order the facts were given; it is not part of
    `board_json`.
    """

    period: Period
    cutoff: datetime
    measures: tuple[MeasureRow, ...]
    units: tuple[UnitRow, ...]
    assignments: tuple[AssignmentRow, ...] = ()


def code_key(code: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key that orders measure codes as people read them: 1.2 before 1.10, 2 before 10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.\-]", code))


def measure_percent(leads: Iterable[Reading]) -> int | None:
    """A measure's progress: its lead's latest reported percent; with several leads the lowest of
    those that reported; None while no lead has reported."""
    return min((lead.percent for lead in leads if lead.percent is not None), default=None)


def planned_of(leads: Iterable[Reading]) -> Decimal | None:
    """The progress a measure's plan expects at the reading's moment, in hundredths as both the
    board and the bulletin print it (see `Reading.planned`); with several leads the highest; None
    when no lead has a dated deadline."""
    values = [lead.planned for lead in leads if lead.planned is not None]
    return Decimal(percent_text(max(values))) if values else None


def board(facts: Iterable[AssignmentFacts], period: Period, rules: ReportingRules) -> Board:
    """The board of `period` from the facts recorded up to its cut-off (23:59, the whole minute).

    Everything recorded later is dropped first, so later data can never change a published board.
    A measure shows its light (see `lights.combine`), its percent (see `measure_percent`) and the
    worst report status of its leads for the period (missing, late, on_time, not_due in that order).
    Each unit counts its assignments in every role, their report statuses and lights. Measures are
    in code order, units in name order. Every assignment's own light, percent, report status and
    indicators are kept as read for all this (`Board.assignments`, in the order of `facts`), so a
    caller that shows assignments never reads them a second time.
    """
    cutoff = cutoff_moment(period, rules)
    as_of = end_of_minute(cutoff)
    readings = [read(item.as_of(as_of), rules, as_of) for item in facts]
    reading_of = {id(r.facts): r for r in readings}
    lights = {id(r): light_of(r) for r in readings}
    states = {id(r): period_status(r, period) for r in readings}

    by_measure: dict[str, list[Reading]] = {}
    for reading in readings:
        by_measure.setdefault(reading.facts.measure_code, []).append(reading)
    measures = []
    for code in sorted(by_measure, key=code_key):
        leads = [reading_of[id(item)] for item in leads_of([r.facts for r in by_measure[code]])]
        lead_ids = {id(r) for r in leads}
        responsible = [
            r for r in by_measure[code] if r.facts.role is Role.RESPONSIBLE and id(r) not in lead_ids
        ]
        light = measure_combine(
            [(r.facts.unit.label, lights[id(r)]) for r in leads],
            [(r.facts.unit.label, lights[id(r)]) for r in responsible],
        )
        lead_states = [states[id(r)] for r in leads]
        report = max((s.status for s in lead_states), key=REPORT_SEVERITY.__getitem__)
        several = len(leads) > 1
        measures.append(
            MeasureRow(
                code=code,
                title=next((r.facts.measure_title for r in by_measure[code] if r.facts.measure_title), ""),
                lead=tuple(r.facts.unit.label for r in leads),
                light=light.rag,
                reasons=light.reasons,
                percent=measure_percent(leads),
                planned=planned_of(leads),
                report=report,
                report_reasons=tuple(
                    f"{r.facts.unit.label}：{state.reason}" if several else state.reason
                    for r, state in zip(leads, lead_states, strict=True)
                ),
                indicators=tuple(
                    MeasureIndicator(
                        spec.name,
                        spec.unit,
                        spec.target,
                        leads[0].indicator_value(spec.name),
                        str(spec.direction),
                        any(m.derived for m in spec.milestones),
                    )
                    for spec in leads[0].facts.indicators
                ),
            )
        )

    by_unit: dict[str, list[Reading]] = {}
    for reading in readings:
        by_unit.setdefault(reading.facts.unit.name, []).append(reading)
    units = []
    for name in sorted(by_unit):
        items = by_unit[name]
        statuses = [states[id(r)].status for r in items]
        rags = [lights[id(r)].rag for r in items]
        units.append(
            UnitRow(
                name=name,
                short=next((r.facts.unit.short for r in items if r.facts.unit.short), ""),
                assignments=len(items),
                on_time=statuses.count(ReportStatus.ON_TIME),
                late=statuses.count(ReportStatus.LATE),
                missing=statuses.count(ReportStatus.MISSING),
                not_due=statuses.count(ReportStatus.NOT_DUE),
                lights=LightCounts(**{rag.value: rags.count(rag) for rag in Rag}),
                kind=items[0].facts.unit.kind,
                parent=items[0].facts.unit.parent,
                tags=items[0].facts.unit.tags,
            )
        )
    assignments = tuple(_assignment_row(r, lights[id(r)], states[id(r)]) for r in readings)
    return Board(period, cutoff, tuple(measures), tuple(units), assignments)


def _assignment_row(reading: Reading, light: Light, state: ReportState) -> AssignmentRow:
    facts = reading.facts
    return AssignmentRow(
        id=facts.id,
        measure=facts.measure_code,
        unit=facts.unit.name,
        short=facts.unit.short,
        role=facts.role,
        light=light.rag,
        reasons=light.reasons,
        percent=reading.percent,
        report=state.status,
        report_reason=state.reason,
        indicators=tuple(
            IndicatorReading(spec.name, reading.indicator_value(spec.name), behind_milestone(reading, spec))
            for spec in facts.indicators
        ),
        facts=facts,
    )


def board_json(board: Board, plan: str) -> dict[str, Any]:
    """The board as CLI.md's `board.json` object (plain values a JSON writer can dump as they are)."""
    return {
        "plan": plan,
        "period": str(board.period),
        "cutoff": local_date(board.cutoff).isoformat(),
        "measures": [
            {
                "code": row.code,
                "title": row.title,
                "lead": list(row.lead),
                "light": row.light.value,
                "reasons": list(row.reasons),
                "percent": row.percent,
                "planned": None if row.planned is None else float(row.planned),
                "report": row.report.value,
                "report_reasons": list(row.report_reasons),
                "indicators": [
                    {
                        "name": i.name,
                        "unit": i.unit,
                        "target": _plain(i.target),
                        "value": _plain(i.value),
                        "direction": i.direction,
                        # Only where milestones were derived, so existing boards read as before.
                        **({"derived": True} if i.derived else {}),
                    }
                    for i in row.indicators
                ],
            }
            for row in board.measures
        ],
        "units": [
            {
                "name": row.name,
                "short": row.short,
                "assignments": row.assignments,
                "on_time": row.on_time,
                "late": row.late,
                "missing": row.missing,
                "not_due": row.not_due,
                "lights": {rag.value: getattr(row.lights, rag.value) for rag in Rag},
                "kind": row.kind or None,
                "parent": row.parent,
                "tags": list(row.tags),
            }
            for row in board.units
        ],
    }


def _plain(value: Decimal | None) -> int | float | None:
    """A number as JSON writes it: 60, not 60.0 or "60"."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)
