"""The warning light (红黄绿灯) of an assignment and of a measure as of a moment, with its reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from tracker.rules.periods import local_date
from tracker.rules.progress import Reading, percent_text, read
from tracker.rules.status import ReportStatus, day_label, last_due
from tracker.rules.values import AssignmentFacts, Direction, IndicatorSpec, ReportingRules, Role


class Rag(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    DONE = "done"
    NOT_STARTED = "not_started"


# Worst first when several leads share a measure; done is the mildest (and only wins when all are).
SEVERITY = {Rag.RED: 4, Rag.AMBER: 3, Rag.GREEN: 2, Rag.NOT_STARTED: 1, Rag.DONE: 0}


@dataclass(frozen=True)
class Light:
    """A light and the reasons for it, each a phrase a clerk reads (e.g. "5月报送缺报")."""

    rag: Rag
    reasons: tuple[str, ...]


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def red_reasons(reading: Reading) -> list[str]:
    """Why an assignment that is not done is red as it reads at a moment; empty when it is not red.

    Red when: the day of the moment is after the completion deadline in force (approved extensions
    count; recurring and 长期坚持 duties have no such deadline; a deadline the plan file reconstructed,
    not printed in the notice, never turns red by itself, see `amber_reasons`); or the last report due by the moment
    is missing; or a finding on it is open after the end of its rectification deadline day.
    """
    facts, as_of = reading.facts, reading.as_of
    reasons = []
    deadline = reading.deadline
    if (
        facts.has_dated_deadline
        and deadline is not None
        and reading.day > deadline
        and not (facts.deadline_reconstructed and reading.deadline_extension is None)
    ):
        extended = "，已延期" if reading.deadline_extension is not None else ""
        reasons.append(f"已超过完成时限（{deadline.year}年{day_label(deadline)}{extended}）")
    last = last_due(reading)
    if last is not None and last.status is ReportStatus.MISSING:
        reasons.append(last.reason)
    for finding in facts.findings:
        if finding.deadline < reading.day and finding.is_open(as_of):  # its deadline day has ended
            reasons.append(f"问题整改逾期：{finding.title}（时限{day_label(finding.deadline)}）")
    return reasons


def behind_milestone(reading: Reading, spec: IndicatorSpec) -> str | None:
    """Why indicator `spec` is behind its current milestone as the assignment reads, or None.

    The current milestone is the latest one whose day has ended by the reading's moment; the
    indicator is behind when nothing was reported, or its last reported value is below the
    milestone's value (direction up) or above it (direction down, an "at most" ceiling). Reaching the
    value exactly is not behind. A derived milestone (linear from the baseline) says so.
    """
    passed = [m for m in spec.milestones if m.date < reading.day]  # the day has ended by as_of
    if not passed:
        return None
    milestone = passed[-1]
    value = reading.indicator_value(spec.name)
    if value is not None and spec.meets(value, milestone.value):
        return None
    unit = spec.unit or ""
    reported = "未报送" if value is None else f"实报 {_number(value)}{unit}"
    should = "应不高于" if spec.direction is Direction.DOWN else "应达"
    derived = "，按目标均衡推算" if milestone.derived else ""
    return (
        f"指标「{spec.name}」落后于节点（{day_label(milestone.date)}{should} "
        f"{_number(milestone.value)}{unit}{derived}，{reported}）"
    )


def amber_reasons(reading: Reading) -> list[str]:
    """Why an assignment that is neither done nor red is amber as it reads; empty when it is not.

    Amber when: the completion deadline in force is `amber_days` (default 30) days away or fewer,
    counting calendar days from the day of the moment (exactly 30 days counts; so does the deadline
    day itself), and the last reported progress is under 100% (no report counts as 0%); or the last
    report due by the moment was late; or an indicator is behind its current milestone (see
    `behind_milestone`). Progress and milestones are judged only once a report was filed or due.
    """
    facts = reading.facts
    reasons = []
    deadline = reading.deadline
    if (
        facts.has_dated_deadline
        and facts.deadline_reconstructed
        and reading.deadline_extension is None
        and deadline is not None
        and reading.day > deadline
    ):
        reasons.append(f"已过整理所得的完成时限（{deadline.year}年{day_label(deadline)}，非原文）")
    if facts.has_dated_deadline and deadline is not None:
        days_left = (deadline - reading.day).days
        percent = reading.percent
        if 0 <= days_left <= reading.rules.amber_days and (percent or 0) < 100:
            progress = "尚未报送进度" if percent is None else f"进度 {percent}%"
            reasons.append(f"距完成时限 {days_left} 天，{progress}")
    last = last_due(reading)
    if last is not None and last.status is ReportStatus.LATE:
        reasons.append(last.reason)
    if reading.current is None and last is None:
        # No report yet and none due yet (a quarterly measure in May): nothing to be behind on, as
        # the bulletin's progress line (rules.scores.progress_lines) does not judge it either.
        return reasons
    planned = reading.planned
    if planned is not None and (reading.percent or 0) < planned:
        reasons.append(f"进度 {reading.percent or 0}%，低于计划 {percent_text(planned)}%")
    for spec in facts.indicators:
        behind = behind_milestone(reading, spec)
        if behind:
            reasons.append(behind)
    return reasons


def light_of(reading: Reading) -> Light:
    """The light of one assignment as it reads at a moment, checked in this order:

    not_started before its start day; done once confirmed (see `Reading.done_since`: the unit
    reported it complete and the office confirmed, with no reopening since); red, amber (see
    `red_reasons`, `amber_reasons`); green otherwise.
    """
    facts = reading.facts
    if reading.day < facts.start:
        return Light(Rag.NOT_STARTED, (f"未开始（{day_label(facts.start)}开始）",))
    since = reading.done_since()
    if since is not None:
        return Light(Rag.DONE, (f"办结已确认（{day_label(local_date(since))}）",))
    red = red_reasons(reading)
    if red:
        return Light(Rag.RED, tuple(red))
    amber = amber_reasons(reading)
    if amber:
        return Light(Rag.AMBER, tuple(amber))
    return Light(Rag.GREEN, ("按计划推进",))


def assignment_light(facts: AssignmentFacts, rules: ReportingRules, as_of: datetime) -> Light:
    """The light of one assignment as of `as_of` (see `light_of`)."""
    return light_of(read(facts, rules, as_of))


def leads_of(assignments: Sequence[AssignmentFacts]) -> list[AssignmentFacts]:
    """The lead assignments of one measure; a measure printed without a lead is led by all its units."""
    leads = [facts for facts in assignments if facts.role is Role.LEAD]
    return leads or list(assignments)


def judged_of(assignments: Sequence[AssignmentFacts]) -> list[AssignmentFacts]:
    """The assignments whose lights make a measure's: its leads and its responsible units (supporting
    units help and are not judged on the measure)."""
    return leads_of(assignments) + [f for f in assignments if f.role is Role.RESPONSIBLE]


def measure_combine(leads: Sequence[tuple[str, Light]], responsible: Sequence[tuple[str, Light]]) -> Light:
    """A measure's light: done once every lead is done (the office confirmed the measure); otherwise
    the worst of its leads' and its responsible units' lights, each reason naming its unit."""
    if leads and all(light.rag is Rag.DONE for _, light in leads):
        return combine(leads)
    if not responsible:
        return combine(leads)
    everyone = [*leads, *responsible]
    worst = max((light.rag for _, light in everyone), key=SEVERITY.__getitem__)
    reasons = tuple(
        f"{label}：{reason}" for label, light in everyone if light.rag is worst for reason in light.reasons
    )
    return Light(worst, reasons)


def combine(lights: Sequence[tuple[str, Light]]) -> Light:
    """The light of a measure from its leads' lights (unit label, light).

    done only when every lead is done; otherwise the worst of them (red, amber, green, not_started,
    with done mildest), and its reasons are those of the leads with that light, each prefixed by the
    unit's name when there are several leads.
    """
    if not lights:
        raise ValueError("a measure needs at least one assignment to have a light")
    worst = max((light.rag for _, light in lights), key=SEVERITY.__getitem__)
    several = len(lights) > 1
    reasons = tuple(
        f"{label}：{reason}" if several else reason
        for label, light in lights
        if light.rag is worst
        for reason in light.reasons
    )
    return Light(worst, reasons)


def measure_light(assignments: Sequence[AssignmentFacts], rules: ReportingRules, as_of: datetime) -> Light:
    """The light of a measure as of `as_of`: its leads' and responsible units' lights (see
    `measure_combine`)."""
    leads = leads_of(assignments)
    lead_ids = {id(f) for f in leads}
    return measure_combine(
        [(f.unit.label, assignment_light(f, rules, as_of)) for f in leads],
        [
            (f.unit.label, assignment_light(f, rules, as_of))
            for f in assignments
            if f.role is Role.RESPONSIBLE and id(f) not in lead_ids
        ],
    )
