"""The leaders' dashboard (领导看板): one screen per plan, read-only.

Lights by section and by unit as of a moment, the trend over the past months (each month as its
board read at its cut-off), the units that most need attention, and open findings by age. The
facts are gathered once; every past month is read from them by the rules, which ignore what was
recorded after each cut-off.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from tracker.rules import lights as rl
from tracker.rules import snapshot
from tracker.rules.periods import Period, local_date
from tracker.rules.progress import read
from tracker.rules.snapshot import code_key
from tracker.rules.status import period_status
from tracker.services.boards import board_moment
from tracker.services.facts import gather
from tracker.services.scoping import Scope
from tracker.services.supervision import (
    LightCount,
    finding_ledger,
    reporting_period,
    sections_of,
)
from tracker.store.models import Plan

LIGHTS = ("red", "amber", "green", "done", "not_started")
AGE_BUCKETS = ((30, "30天以内"), (60, "31–60天"), (90, "61–90天"), (None, "90天以上"))
TREND_MONTHS = 12
WORST_UNITS = 10


def _count(lights) -> LightCount:
    counts = Counter(lights)
    return LightCount(**{light: counts.get(light, 0) for light in LIGHTS})


@dataclass(frozen=True)
class SectionLights:
    code: str
    title: str
    lights: LightCount  # of the measures in the section, through their leads


@dataclass(frozen=True)
class UnitLights:
    unit_id: int
    label: str
    lights: LightCount  # of the unit's assignments
    missing: int  # reports missing for the period being checked
    late: int


@dataclass(frozen=True)
class TrendPoint:
    period: str
    label: str
    measures: LightCount
    on_time: int
    late: int
    missing: int

    @property
    def on_time_rate(self) -> int | None:
        """Reports on time as a whole percent of those due (on time, late or missing)."""
        due = self.on_time + self.late + self.missing
        return None if due == 0 else round(100 * self.on_time / due)


@dataclass(frozen=True)
class AgeBucket:
    label: str
    open: int
    overdue: int


@dataclass(frozen=True)
class PlanDashboard:
    plan: Plan
    as_of: datetime
    period: Period
    measures: LightCount
    sections: tuple[SectionLights, ...]
    units: tuple[UnitLights, ...]  # by name
    worst: tuple[UnitLights, ...]
    trend: tuple[TrendPoint, ...]  # oldest first
    ages: tuple[AgeBucket, ...]
    oldest_findings: tuple  # FindingRow, oldest first


def trend_periods(plan: Plan, as_of: datetime, months: int = TREND_MONTHS) -> list[Period]:
    """The months whose board was cut off by `as_of`, within the plan, the latest `months` of them."""
    last = Period.of(min(local_date(as_of), plan.end))
    while last >= Period.of(plan.start) and board_moment(plan, last) > as_of:
        last = last.prev()
    periods = []
    period = last
    while period >= Period.of(plan.start) and len(periods) < months:
        periods.append(period)
        period = period.prev()
    return periods[::-1]


def plan_dashboard(scope: Scope, plan: Plan, as_of: datetime) -> PlanDashboard:
    """Everything the leaders' screen of one plan shows, as of `as_of` (see the module's note).

    Worst units: the units with a red or amber assignment, most red first, then most amber, then
    most missing reports, then by name; at most ten.
    """
    facts = gather(plan, as_of)
    period = reporting_period(plan, as_of)
    sections, measure_section = sections_of(plan)

    by_measure: dict[str, list] = {}
    per_unit: dict[str, list[str]] = {}
    statuses: dict[str, Counter] = {}
    for f in facts.assignments:
        by_measure.setdefault(f.measure_code, []).append(f)
        reading = read(f, facts.rules, as_of)
        per_unit.setdefault(f.unit.name, []).append(rl.light_of(reading).rag.value)
        statuses.setdefault(f.unit.name, Counter())[period_status(reading, period).status.value] += 1
    measure_lights = {
        code: rl.measure_light(items, facts.rules, as_of).rag.value for code, items in by_measure.items()
    }

    by_section: dict[tuple[str, str], list[str]] = {}
    for code, light in measure_lights.items():
        info = sections.get(measure_section.get(code))
        key = (info.top_code, info.top_title) if info else ("", "未分部分")
        by_section.setdefault(key, []).append(light)
    section_rows = tuple(
        SectionLights(code, title, _count(lights))
        for (code, title), lights in sorted(by_section.items(), key=lambda item: code_key(item[0][0] or "0"))
    )

    labels = {f.unit.name: f.unit.label for f in facts.assignments}
    units = tuple(
        UnitLights(
            facts.unit_ids[name],
            labels[name],
            _count(lights),
            statuses[name]["missing"],
            statuses[name]["late"],
        )
        for name, lights in sorted(per_unit.items())
    )
    worst = tuple(
        sorted(
            (u for u in units if u.lights.red or u.lights.amber),
            key=lambda u: (-u.lights.red, -u.lights.amber, -u.missing, u.label),
        )[:WORST_UNITS]
    )

    trend = []
    for p in trend_periods(plan, as_of):
        board = snapshot.board(facts.assignments, p, facts.rules)
        trend.append(
            TrendPoint(
                str(p),
                f"{p.month}月" if p.month != 1 else f"{p.year}年1月",
                _count(row.light.value for row in board.measures),
                sum(u.on_time for u in board.units),
                sum(u.late for u in board.units),
                sum(u.missing for u in board.units),
            )
        )

    open_rows = [
        r for r in finding_ledger(scope, plan_id=plan.id, as_of=as_of) if r.finding.state != "closed"
    ]
    ages = []
    lower = -1
    for upper, label in AGE_BUCKETS:
        inside = [r for r in open_rows if r.age_days > lower and (upper is None or r.age_days <= upper)]
        ages.append(AgeBucket(label, len(inside), sum(r.overdue for r in inside)))
        lower = upper if upper is not None else lower
    oldest = tuple(sorted(open_rows, key=lambda r: (-r.age_days, r.finding.id))[:10])

    return PlanDashboard(
        plan,
        as_of,
        period,
        _count(measure_lights.values()),
        section_rows,
        units,
        worst,
        tuple(trend),
        tuple(ages),
        oldest,
    )
