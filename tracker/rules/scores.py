"""Unit scores for a quarter (季通报) or a year (年考核), explained line by line, and their ranking.

Every score is the exact sum of its lines; points are Decimals in hundredths.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from tracker.rules.lights import Rag, behind_milestone, light_of
from tracker.rules.periods import Quarter, Year, cutoff_moment, due_in, end_of_day, end_of_minute
from tracker.rules.progress import Reading, percent_text, read
from tracker.rules.status import ReportStatus, day_label, last_due, period_status
from tracker.rules.values import AssignmentFacts, Direction, Finding, IndicatorSpec, ReportingRules, Unit

CENT = Decimal("0.01")
MINUS = "\u2212"


class Part(StrEnum):
    ON_TIME = "on_time"
    PROGRESS = "progress"
    FINDINGS = "findings"
    QUALITY = "quality"
    RED = "red"


@dataclass(frozen=True)
class ScoreLine:
    """One line of a score: points (in hundredths) and what they are for, e.g.
    "−2.14 措施 2.3 5月报送迟报 3 个工作日"."""

    part: Part
    points: Decimal
    text: str

    def __str__(self) -> str:
        return f"{signed(self.points)} {self.text}"


@dataclass(frozen=True)
class UnitScore:
    """A unit's score for a window; `score` is exactly the sum of `lines`, `red` its red measures."""

    unit: Unit
    window: Quarter | Year
    score: Decimal
    red: int
    lines: tuple[ScoreLine, ...]


def signed(points: Decimal) -> str:
    """Points with a sign and at least one decimal: +30.0, −2.14 (a true minus sign, U+2212)."""
    text = format(abs(points).quantize(CENT), "f").rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return f"{MINUS if points < 0 else '+'}{text}"


def _cents(value: Fraction, *, down: bool = False) -> Decimal:
    """`value` in hundredths, rounded half up (or down), computed exactly."""
    hundredths = value * 100
    whole = math.floor(hundredths) if down else math.floor(hundredths + Fraction(1, 2))
    return Decimal(whole) * CENT


def apportion(amounts: Sequence[Fraction]) -> list[Decimal]:
    """Round exact amounts to hundredths so that they add up to their rounded total.

    Each amount is rounded down, then the hundredths still missing go one each to the amounts with
    the largest remainders (the earlier one on a tie): the largest-remainder method.
    """
    # In whole hundredths and integer remainders over one common denominator: a yearly assessment
    # apportions tens of thousands of amounts, and Fraction arithmetic on each was most of its time.
    wholes, remainders = [], []
    for index, amount in enumerate(amounts):
        whole, rest = divmod(amount.numerator * 100, amount.denominator)
        wholes.append(whole)
        if rest:
            remainders.append((rest, amount.denominator, index))
    common = math.lcm(*{denominator for _, denominator, _ in remainders})
    scaled = [(rest * (common // denominator), index) for rest, denominator, index in remainders]
    # The rounded total less the rounded-down amounts: the remainders' sum rounded half up.
    missing = (2 * sum(rest for rest, _ in scaled) + common) // (2 * common)
    # Only amounts with a remainder can take one (there are never fewer of them than missing); the
    # sort is stable, so on equal remainders the earlier amount comes first.
    for _, index in sorted(scaled, key=lambda item: item[0], reverse=True)[:missing]:
        wholes[index] += 1
    return [Decimal(whole) * CENT for whole in wholes]


# The shares of one item that a part loses, made once (see `_part`).
KEPT, HALF, WHOLE = Fraction(0), Fraction(1, 2), Fraction(1)


def _part(part: Part, weight: Decimal, full: str, losses: list[tuple[Fraction, str]]) -> list[ScoreLine]:
    """The lines of a part: its full weight, then one deduction per loss.

    Each loss is a share of one item (1 = the whole item); an item is worth weight / number of items.
    `losses` has one entry per item, the items that lost nothing with share 0 (they make no line).
    """
    weight = weight.quantize(CENT)
    lines = [ScoreLine(part, weight, full)]
    if not losses:
        return lines
    per_item = Fraction(weight) / len(losses)
    # Most items lose one of a few shares (KEPT, HALF, WHOLE): each is multiplied once, and looked
    # up by identity, as hashing a Fraction costs about as much as the product.
    amount_of: dict[int, Fraction] = {}
    amounts = []
    for share, _ in losses:
        amount = amount_of.get(id(share))
        if amount is None:
            amount = amount_of[id(share)] = per_item * share
        amounts.append(amount)
    deductions = apportion(amounts)
    for deduction, (share, text) in zip(deductions, losses, strict=True):
        if share:
            lines.append(ScoreLine(part, -deduction, text))
    return lines


def _measure(facts: AssignmentFacts) -> str:
    return f"措施 {facts.measure_code}"


def on_time_lines(
    readings: Sequence[Reading], window: Quarter | Year, rules: ReportingRules
) -> list[ScoreLine]:
    """On-time reporting (default 30 points), from the unit's assignments as they read at a moment.

    Every report due in the window by that moment (each assignment, each of its report periods due
    in a month of the window, see `periods.due_in`, whose status is not "not due") is worth an equal
    share, so a quarterly measure counts once a quarter and a weekly one once a week; a late report loses half its share, a missing
    one all of it. With no report due, the part is full.
    """
    losses: list[tuple[Fraction, str]] = []
    due: dict[str, tuple] = {}  # the window's report periods, once per cadence
    for reading in readings:
        facts = reading.facts
        if facts.cadence not in due:
            due[facts.cadence] = tuple(p for month in window.periods for p in due_in(facts.cadence, month))
        for period in due[facts.cadence]:
            state = period_status(reading, period)
            if state.status is ReportStatus.ON_TIME:
                losses.append((KEPT, ""))
            elif state.status is ReportStatus.LATE:
                losses.append((HALF, f"{_measure(facts)} {state.reason}"))
            elif state.status is ReportStatus.MISSING:
                losses.append((WHOLE, f"{_measure(facts)} {state.reason}"))
    due, weight = len(losses), _points(rules.weights.on_time)
    full = (
        f"按时报送（权重 {weight} 分，应报 {due} 期）" if due else f"按时报送（权重 {weight} 分，本期无应报）"
    )
    return _part(Part.ON_TIME, rules.weights.on_time, full, losses)


def _points(weight: Decimal) -> str:
    return f"{weight.normalize():f}"


def _milestone_ratio(reading: Reading, spec: IndicatorSpec) -> Fraction | None:
    """How much of its current milestone an indicator that is behind has made (0 when unreported;
    for a ceiling, the ceiling over the value); None when it is not behind."""
    if behind_milestone(reading, spec) is None:
        return None
    milestone = [m for m in spec.milestones if m.date < reading.day][-1]  # the day has ended by as_of
    value = reading.indicator_value(spec.name)
    if value is None or value <= 0 and spec.direction is Direction.UP:
        return Fraction(0)
    goal, value = Fraction(milestone.value), Fraction(value)
    ratio = goal / value if spec.direction is Direction.DOWN else (value / goal if goal else Fraction(1))
    return min(Fraction(1), ratio)


def progress_lines(readings: Sequence[Reading], rules: ReportingRules) -> list[ScoreLine]:
    """Progress against plan (default 40 points), from the unit's assignments as they read at a moment.

    Counted: every assignment started by the day of that moment that has a dated deadline or an
    indicator with milestones (recurring and 长期坚持 duties without milestones have no plan to be
    behind), and that has reported or had a report due (a quarterly measure is not judged in May,
    before its first report is due). Each is worth an equal share. A done assignment keeps it whole. Otherwise it earns its
    share in proportion, never as a cliff: its last reported percent (none = 0%) over the percent
    planned that day (`Reading.planned`, the value the board's light compares with; an approved
    extension stretches the plan), and each indicator behind its current milestone its value over
    the milestone (a ceiling: the ceiling over the value); the lowest of these, capped at full, is
    what it earns. 46% against 53.13% planned earns 46/53.13 of the share; the line states both.
    With nothing counted, the part is full.
    """
    losses: list[tuple[Fraction, str]] = []
    for reading in readings:
        facts, day = reading.facts, reading.day
        has_milestones = any(spec.milestones for spec in facts.indicators)
        if facts.start > day or not (facts.has_dated_deadline or has_milestones):
            continue
        if reading.current is None and last_due(reading) is None:
            continue  # no report yet and none due yet (a quarterly measure in May): nothing to judge
        if reading.done_since() is not None:
            losses.append((KEPT, ""))
            continue
        ratios, behind = [Fraction(1)], []
        planned = reading.planned
        if planned is not None:
            percent = reading.percent or 0
            if percent < planned:
                ratios.append(Fraction(percent) / planned)
                behind.append(f"进度 {percent}%，计划 {percent_text(planned)}%")
        for spec in facts.indicators:
            ratio = _milestone_ratio(reading, spec)
            if ratio is not None:
                ratios.append(ratio)
                behind.append(behind_milestone(reading, spec))
        earned = min(ratios)
        text = (
            f"{_measure(facts)} {'；'.join(behind)}，按比例得 {percent_text(earned * 100)}%" if behind else ""
        )
        losses.append((1 - earned, text))
    weight = _points(rules.weights.progress)
    full = (
        f"按计划推进（权重 {weight} 分，计 {len(losses)} 项）"
        if losses
        else f"按计划推进（权重 {weight} 分，无可比进度）"
    )
    return _part(Part.PROGRESS, rules.weights.progress, full, losses)


def finding_lines(
    findings: Iterable[Finding], window: Quarter | Year, rules: ReportingRules, as_of: datetime
) -> list[ScoreLine]:
    """Findings closed on time (default 20 points).

    Counted: every finding recorded by `as_of` whose rectification deadline falls in the window and
    whose deadline day has ended by `as_of`. Each is worth an equal share and keeps it when it was
    closed (销号) at the end of its deadline day; a finding open then loses its share, even if closed
    later. A reopening after the deadline does not undo a close by the deadline. None counted: full.
    """
    losses: list[tuple[Fraction, str]] = []
    for finding in sorted(findings, key=lambda f: (f.deadline, f.id)):
        ends = end_of_day(finding.deadline)
        if finding.opened_at > as_of or ends >= as_of:
            continue
        if not window.first_day <= finding.deadline <= window.last_day:
            continue
        if finding.is_open(ends):
            losses.append(
                (Fraction(1), f"问题「{finding.title}」未按期整改销号（时限{day_label(finding.deadline)}）")
            )
        else:
            losses.append((KEPT, ""))
    weight = _points(rules.weights.findings)
    full = (
        f"问题按期整改（权重 {weight} 分，应整改 {len(losses)} 个）"
        if losses
        else f"问题按期整改（权重 {weight} 分，本期无到期问题）"
    )
    return _part(Part.FINDINGS, rules.weights.findings, full, losses)


def quality_lines(rating: Decimal | None, rules: ReportingRules) -> list[ScoreLine]:
    """The office's quality rating (default 10 points): rating (0–100) percent of the weight.

    A unit the office has not rated gets the full weight, so a missing entry never costs a unit
    points (the line says so).
    """
    weight = rules.weights.quality
    if rating is None:
        return [
            ScoreLine(
                Part.QUALITY, weight.quantize(CENT), f"质量评价未录入，按满分计（权重 {_points(weight)} 分）"
            )
        ]
    if not 0 <= rating <= 100:
        raise ValueError(f"a quality rating is 0..100, got {rating}")
    points = _cents(Fraction(weight) * Fraction(rating) / 100)
    return [
        ScoreLine(
            Part.QUALITY, points, f"质量评价 {Decimal(rating).normalize():f} 分（权重 {_points(weight)} 分）"
        )
    ]


def red_lines(readings: Sequence[Reading], rules: ReportingRules) -> list[ScoreLine]:
    """The red-light penalty: `red_penalty` (default 2) points off for each assignment that is red
    as it reads at the moment of the assessment."""
    penalty = rules.weights.red_penalty.quantize(CENT)
    lines = []
    for reading in readings:
        light = light_of(reading)
        if light.rag is Rag.RED:
            lines.append(
                ScoreLine(
                    Part.RED,
                    -penalty,
                    f"{_measure(reading.facts)} 红灯（每项扣 {_points(rules.weights.red_penalty)} 分）："
                    f"{'；'.join(light.reasons)}",
                )
            )
    return lines


def unit_score(
    unit: Unit,
    assignments: Sequence[AssignmentFacts],
    findings: Iterable[Finding],
    window: Quarter | Year,
    rules: ReportingRules,
    as_of: datetime,
    rating: Decimal | None = None,
) -> UnitScore:
    """One unit's score: on-time reporting + progress against plan + findings closed on time +
    quality rating − red-light penalty (each part's function states its rule). It can be negative."""
    readings = [read(facts, rules, as_of) for facts in assignments]
    reds = red_lines(readings, rules)
    lines = (
        on_time_lines(readings, window, rules)
        + progress_lines(readings, rules)
        + finding_lines(findings, window, rules, as_of)
        + quality_lines(rating, rules)
        + reds
    )
    return UnitScore(unit, window, sum((line.points for line in lines), Decimal(0)), len(reds), tuple(lines))


def ranking_key(score: UnitScore) -> tuple[Decimal, int, str]:
    """Higher score first; on equal scores fewer red measures first; then unit name (code point order)."""
    return (-score.score, score.red, score.unit.name)


def rank(scores: Iterable[UnitScore]) -> tuple[UnitScore, ...]:
    """Scores in ranking order (see `ranking_key`); unit names are unique, so the order is total."""
    return tuple(sorted(scores, key=ranking_key))


def assess(
    facts: Iterable[AssignmentFacts],
    window: Quarter | Year,
    rules: ReportingRules,
    ratings: Mapping[str, Decimal] | None = None,
    findings: Iterable[Finding] = (),
    as_of: datetime | None = None,
) -> tuple[UnitScore, ...]:
    """Every unit's score for `window`, ranked; `ratings` maps unit names to quality ratings.

    Only data recorded by `as_of` counts; by default that is the cut-off of the window's last month
    (23:59, the whole minute), so a bulletin never changes afterwards. A unit's findings are those on
    its assignments plus the unit-level `findings` naming it (each finding once, by id).
    """
    as_of = end_of_minute(cutoff_moment(window.periods[-1], rules)) if as_of is None else as_of
    ratings = ratings or {}
    known = [item.as_of(as_of) for item in facts]
    units: dict[str, Unit] = {}
    by_unit: dict[str, list[AssignmentFacts]] = {}
    unit_findings: dict[str, dict[int, Finding]] = {}
    for item in known:
        units.setdefault(item.unit.name, item.unit)
        by_unit.setdefault(item.unit.name, []).append(item)
        for finding in item.findings:
            unit_findings.setdefault(item.unit.name, {}).setdefault(finding.id, finding)
    for finding in findings:
        recorded = finding.as_of(as_of)
        if recorded is not None:
            units.setdefault(finding.unit, Unit(finding.unit))
            unit_findings.setdefault(finding.unit, {}).setdefault(finding.id, recorded)
    return rank(
        unit_score(
            unit,
            by_unit.get(name, []),
            unit_findings.get(name, {}).values(),
            window,
            rules,
            as_of,
            ratings.get(name),
        )
        for name, unit in units.items()
    )
