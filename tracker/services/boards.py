"""Boards, bulletins and assessments: store → facts → rules, for the app, the CLI and the site."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from tracker.rules import lights as rl
from tracker.rules import scores, snapshot
from tracker.rules.periods import Period, Quarter, Window, Year, cutoff_moment, end_of_minute
from tracker.services.facts import PlanFacts, gather, quality_ratings, reporting_rules
from tracker.store.models import Plan


class UnknownPlan(LookupError):
    pass


def plan_by_code(code: str) -> Plan:
    plan = Plan.get_or_none(Plan.code == code)
    if plan is None:
        raise UnknownPlan(f"没有编号为 {code!r} 的方案")
    return plan


def board_moment(plan: Plan, period: Period) -> datetime:
    """The last instant a board of `period` reads: its cut-off minute, to the end of that minute."""
    return end_of_minute(cutoff_moment(period, reporting_rules(plan)))


def reads(plan: Plan, window: Window) -> tuple[datetime, tuple[Period, ...]]:
    """What a board of `window` reads: its cut-off moment (its last month's) and its months, with the
    month before them (whether the first month's report came late is judged against it)."""
    if isinstance(window, Period):
        return board_moment(plan, window), (window.prev(), window)
    return board_moment(plan, window.periods[-1]), (window.periods[0].prev(), *window.periods)


def gather_once(plan: Plan, windows: Iterable[Window]) -> Iterator[tuple[Window, PlanFacts]]:
    """Each of `windows` with its facts, gathered once per cut-off: boards that end on the same month
    (that month's board, the quarter's bulletin, the year's assessment) read the same moment, so one
    gathering of all their months serves each (reading more months changes no board: the rules read
    only what a board asks for). Each gathering is let go after the last board that reads it."""
    windows = list(windows)
    wanted = {window: reads(plan, window) for window in windows}
    months: dict[datetime, set[Period]] = defaultdict(set)
    last_reader: dict[datetime, Window] = {}
    for window in windows:
        moment, periods = wanted[window]
        months[moment].update(periods)
        last_reader[moment] = window
    held: dict[datetime, PlanFacts] = {}
    for window in windows:
        moment = wanted[window][0]
        if moment not in held:
            held[moment] = gather(plan, moment, periods=sorted(months[moment]))
        yield window, held[moment]
        if last_reader[moment] == window:
            del held[moment]


def monthly_board(
    plan: Plan, period: Period, facts: PlanFacts | None = None
) -> tuple[snapshot.Board, PlanFacts]:
    """The monthly board (月调度) of `period`, from what was recorded up to its cut-off (`facts`: its
    facts when already gathered, see `gather_once`)."""
    if facts is None:
        moment, periods = reads(plan, period)
        facts = gather(plan, moment, periods=periods)
    return snapshot.board(facts.assignments, period, facts.rules), facts


@dataclass(frozen=True)
class Assessment:
    window: Quarter | Year
    as_of: datetime
    scores: tuple[scores.UnitScore, ...]
    facts: PlanFacts


def assessment(plan: Plan, window: Quarter | Year, facts: PlanFacts | None = None) -> Assessment:
    """Every unit's score for a quarter (季通报) or a year (年考核), ranked, as of the window's last
    cut-off (`facts`: its facts when already gathered, see `gather_once`)."""
    as_of, periods = reads(plan, window)
    if facts is None:
        facts = gather(plan, as_of, periods=periods)
    quarters = sorted({str(p.quarter) for p in window.periods})
    ratings = quality_ratings(plan, quarters, as_of)
    ranked = scores.assess(facts.assignments, window, facts.rules, ratings, facts.unit_findings, as_of)
    return Assessment(window, as_of, ranked, facts)


@dataclass(frozen=True)
class LightView:
    """Lights as of a moment: per assignment id, and per measure code through its leads."""

    as_of: datetime
    assignments: dict[int, rl.Light]
    measures: dict[str, rl.Light]
    facts: PlanFacts


def lights_now(plan: Plan, as_of: datetime, unit_id: int | None = None) -> LightView:
    """Each assignment's and measure's light as of `as_of` (a unit's own when `unit_id` is given)."""
    facts = gather(plan, as_of, unit_id)
    per_assignment = {f.id: rl.assignment_light(f, facts.rules, as_of) for f in facts.assignments}
    by_measure: dict[str, list] = {}
    for f in facts.assignments:
        by_measure.setdefault(f.measure_code, []).append(f)
    per_measure = (
        {code: rl.measure_light(items, facts.rules, as_of) for code, items in by_measure.items()}
        if unit_id is None
        else {}
    )
    return LightView(as_of, per_assignment, per_measure, facts)
