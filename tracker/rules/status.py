"""The report status of an assignment for a period (on time, late, missing, not due) as of a moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from tracker.rules.periods import (
    Period,
    ReportPeriod,
    at_2359,
    due_date,
    due_in,
    end_of_minute,
    local_date,
    period_of,
    plan_due,
)
from tracker.rules.progress import Reading, read
from tracker.rules.values import AssignmentFacts, ReportingRules
from tracker.rules.workdays import working_days_late


class ReportStatus(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    NOT_DUE = "not_due"


@dataclass(frozen=True)
class ReportState:
    """A period's report status with what it rests on and a sentence a clerk reads.

    `due` is the due moment that applied (after an approved extension, which `extended_to` names);
    `submitted_at` is the first submission; `days_late` counts working days (see `working_days_late`).
    """

    period: ReportPeriod
    status: ReportStatus
    due: datetime
    submitted_at: datetime | None
    days_late: int
    extended_to: date | None
    reason: str


def day_label(day: date) -> str:
    """A date as clerks write it in a sentence: 6月5日."""
    return f"{day.month}月{day.day}日"


# Worst first when several reports stand for one month (the weeks due in it).
SEVERITY = {ReportStatus.MISSING: 3, ReportStatus.LATE: 2, ReportStatus.ON_TIME: 1, ReportStatus.NOT_DUE: 0}


def report_due(reading: Reading, period: ReportPeriod) -> tuple[datetime, date | None]:
    """The due moment of `period`'s report for an assignment as it reads, and the extended day.

    It is the plan's due moment (see `periods.due_moment`) unless an approved extension naming the
    period was decided by the reading's moment; then it is 23:59 on the extension's new day, even
    when the office approved it after the original due day.
    """
    extension = reading.period_extension(period)
    if extension is None:
        return plan_due(period, reading.rules).moment, None
    return at_2359(extension.new_deadline), extension.new_deadline


def period_status(reading: Reading, period: ReportPeriod) -> ReportState:
    """The status of an assignment's report for `period`, from what was recorded by the reading's moment.

    `period` is one of the assignment's report periods, or a month (a board's period). For an
    assignment that does not report monthly, a month stands for the reports due in it (see
    `month_status`): a quarterly report is never missing in a month that no quarter closes.

    - not_due: the assignment's start is after the period's due day; or it was done (confirmed) by
      the due moment; or nothing was submitted yet and the due moment has not passed.
    - on_time: the first submission for the period came by the due moment (23:59 on the due day,
      the whole minute counts; under sign-off, the moment of signing counts).
    - late: the first submission came after the due moment.
    - missing: nothing was submitted and the due moment has passed. Before the board's cut-off this
      already reads "missing" (逾期未报); a report sent later turns it into "late".
    An approved extension moves the due moment (see `report_due`) and the reason says so.
    """
    state = reading.memo.get(period)  # kept under the period itself
    if state is None:
        if reading.facts.cadence != "monthly" and isinstance(period, Period):
            state = month_status(reading, period)
        else:
            state = _period_status(reading, period)
        reading.memo[period] = state
    return state


def month_status(reading: Reading, month: Period) -> ReportState:
    """How a month's board reads an assignment that reports on another cadence: the worst status of
    the reports due in the month (the quarter June closes, the weeks due in it); in a month where
    none is due, "not due", saying when the next one is (本月无需报送（2024年第2季度报送6月25日截止）)."""
    due = due_in(reading.facts.cadence, month)
    if due:
        return max((period_status(reading, p) for p in due), key=lambda s: SEVERITY[s.status])
    upcoming = period_of(reading.facts.cadence, month.last_day)
    while due_date(upcoming, reading.rules) < month.first_day:
        upcoming = upcoming.next()
    day = due_date(upcoming, reading.rules)
    return ReportState(
        upcoming,
        ReportStatus.NOT_DUE,
        at_2359(day),
        None,
        0,
        None,
        f"本月无需报送（{upcoming.label}报送{day_label(day)}截止）",
    )


def _period_status(reading: Reading, period: ReportPeriod) -> ReportState:
    facts = reading.facts
    plan = plan_due(period, reading.rules)
    if reading.period_extension(period) is None:
        due, due_end, extended_to, suffix = plan.moment, plan.end, None, ""
    else:
        due, extended_to = report_due(reading, period)
        due_end = end_of_minute(due)
        suffix = f"（已批准延期至{day_label(extended_to)}）"
    label, first, days = period.label, None, 0
    if facts.start > plan.day:
        status, reason = ReportStatus.NOT_DUE, f"{label}无需报送（{day_label(facts.start)}开始）"
    elif reading.done_since(due_end) is not None:
        status, reason = ReportStatus.NOT_DUE, f"{label}无需报送（已办结）"
    elif (first := reading.first_submission(period)) is not None and first <= due_end:
        status, reason = ReportStatus.ON_TIME, f"{label}按时报送{suffix}"
    elif first is not None:
        days = working_days_late(local_date(due), local_date(first))
        status, reason = ReportStatus.LATE, f"{label}报送迟报 {days} 个工作日{suffix}"
    elif reading.as_of <= due_end:
        status, reason = (
            ReportStatus.NOT_DUE,
            f"{label}报送未到期（{day_label(local_date(due))} 23:59 前）{suffix}",
        )
    else:
        status, reason = ReportStatus.MISSING, f"{label}报送缺报{suffix}"
    return ReportState(period, status, due, first, days, extended_to, reason)


def last_due(reading: Reading) -> ReportState | None:
    """The state of the latest period whose report was due by the reading's moment, or None.

    "Due by" means the period's due moment (after extensions) has passed and the period is not
    "not due" for the assignment. Periods are searched back from the one the moment falls in to the
    one the assignment starts in.
    """
    if "last_due" not in reading.memo:
        reading.memo["last_due"] = _last_due(reading)
    return reading.memo["last_due"]


def _last_due(reading: Reading) -> ReportState | None:
    period = period_of(reading.facts.cadence, reading.day)
    first = period_of(reading.facts.cadence, reading.facts.start)
    while period >= first:
        state = period_status(reading, period)
        if state.status is not ReportStatus.NOT_DUE and end_of_minute(state.due) < reading.as_of:
            return state
        period = period.prev()
    return None


def report_status(
    facts: AssignmentFacts, period: ReportPeriod, rules: ReportingRules, as_of: datetime
) -> ReportState:
    """The status of this assignment's report for `period` as of `as_of` (see `period_status`)."""
    return period_status(read(facts, rules, as_of), period)


def last_due_report(facts: AssignmentFacts, rules: ReportingRules, as_of: datetime) -> ReportState | None:
    """The latest report due by `as_of` (see `last_due`)."""
    return last_due(read(facts, rules, as_of))
