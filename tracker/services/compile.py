"""The lead's compile (牵头单位汇总): a lead unit reads, read-only, the latest reports of the responsible
units on its measure for one period, with a one-page summary it can copy into its own report. Where a
responsible unit split its assignment (分解), its children's reports follow it, down to villages; the
totals and the summary's counts are the responsible units' own (their values already roll the
children's up)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tracker.rules.rollup import roll_up
from tracker.services.reports import decimal_text, stored_decimal
from tracker.services.scoping import Scope
from tracker.store.models import Assignment, Indicator, Measure, Report, ReportRevision, Unit

MAX_DEPTH = 4  # 市 → 县 → 镇 → 村: deeper splits than this are not shown


@dataclass(frozen=True)
class Row:
    """One responsible unit's latest revision for the period (None: not reported yet)."""

    unit: str
    assignment_id: int
    revision: ReportRevision | None
    values: dict[str, Decimal]
    depth: int = 0  # 0: a responsible unit; 1: a unit it split its assignment to; 2: theirs …
    under: str | None = None  # the unit whose split this row came from


@dataclass(frozen=True)
class Compiled:
    assignment_id: int
    measure: Measure
    unit: str
    period: str
    indicators: list[Indicator]
    rows: list[Row]
    totals: dict[str, Decimal | None]

    @property
    def responsible(self) -> list[Row]:
        return [r for r in self.rows if r.depth == 0]

    @property
    def split_rows(self) -> list[Row]:
        return [r for r in self.rows if r.depth > 0]

    @property
    def reported(self) -> list[Row]:
        return [r for r in self.responsible if r.revision is not None]

    @property
    def missing(self) -> list[Row]:
        return [r for r in self.responsible if r.revision is None]

    @property
    def summary(self) -> str:
        """The one-page summary, as a clerk would write it into the lead's own report."""
        total, done = len(self.responsible), len(self.reported)
        parts = [f"{self.period} 本措施共 {total} 个责任单位,已报送 {done} 个"]
        if self.split_rows:
            filed = sum(r.revision is not None for r in self.split_rows)
            parts.append(f"分解到的 {len(self.split_rows)} 个下级单位已报送 {filed} 个")
        percents = [r.revision.percent for r in self.reported if r.revision.percent is not None]
        if percents:
            parts.append(f"平均完成进度 {round(sum(percents) / len(percents))}%")
        finished = [r.unit for r in self.reported if r.revision.complete]
        if finished:
            parts.append(f"已完成的单位:{'、'.join(finished)}")
        if self.missing:
            parts.append(f"尚未报送:{'、'.join(r.unit for r in self.missing)}")
        lines = ["，".join(parts) + "。"]
        for i in self.indicators:
            value = self.totals.get(i.code)
            if value is not None:
                target = f"(目标 {decimal_text(stored_decimal(i.target))}{i.unit or ''})" if i.target else ""
                lines.append(f"「{i.name}」各责任单位合计 {decimal_text(value)}{i.unit or ''}{target}。")
        problems = [
            f"{r.unit}:{r.revision.problems.strip()}" for r in self.reported if r.revision.problems.strip()
        ]
        if problems:
            lines.append("存在问题:" + ";".join(problems) + "。")
        return "\n".join(lines)


def compile_reports(scope: Scope, assignment_id: int, period: str) -> Compiled:
    """The responsible units' latest reports on the lead assignment's measure for `period`."""
    lead = scope.lead_assignment(assignment_id)
    measure = Measure.get_by_id(lead.measure_id)
    indicators = list(
        Indicator.select()
        .where(Indicator.measure == measure.id, Indicator.archived_at.is_null())
        .order_by(Indicator.id)
    )
    others = list(
        Assignment.active()
        .select(Assignment, Unit)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(
            Assignment.measure == measure.id,
            Assignment.role == "responsible",
            Assignment.parent.is_null(),
        )
        .order_by(Assignment.position, Unit.name)
    )
    below: dict[int, list[Assignment]] = {}  # parent assignment id → its split's children
    for child in (
        Assignment.active()
        .select(Assignment, Unit)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(Assignment.measure == measure.id, Assignment.parent.is_null(False))
        .order_by(Assignment.position, Unit.name)
    ):
        below.setdefault(child.parent_id, []).append(child)
    placed: list[tuple[Assignment, int, str | None]] = []

    def place(a: Assignment, depth: int, under: str | None) -> None:
        placed.append((a, depth, under))
        for child in below.get(a.id, ()):
            if depth < MAX_DEPTH:  # a split never loops, but a page must end
                place(child, depth + 1, a.unit.label)

    for a in others:
        place(a, 0, None)
    latest: dict[int, ReportRevision] = {}
    if placed:
        revisions = (
            ReportRevision.select(ReportRevision, Report)
            .join(Report)
            .where(Report.assignment.in_([a.id for a, _, _ in placed]), Report.period == period)
            .order_by(ReportRevision.number)
        )
        for revision in revisions:
            latest[revision.report.assignment_id] = revision  # the highest number wins
    rows = []
    for a, depth, under in placed:
        revision = latest.get(a.id)
        values = {}
        for code, raw in ((revision.indicator_values or {}) if revision else {}).items():
            value = stored_decimal(raw)
            if value is not None:
                values[code] = value
        rows.append(Row(a.unit.label, a.id, revision, values, depth, under))
    totals = {
        i.code: roll_up(
            i.rollup if i.rollup != "none" else "sum", (r.values.get(i.code) for r in rows if r.depth == 0)
        )
        for i in indicators
    }
    return Compiled(lead.id, measure, lead.unit.label, period, indicators, rows, totals)
