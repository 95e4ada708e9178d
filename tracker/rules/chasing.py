"""Chasing (催办): which chases are due at a moment, for monthly reports and for findings.

The office escalates as the 三色督办单 practice does: a blue slip (蓝色, a reminder), a yellow slip
(黄色, overdue) and a red slip (红色, still overdue after a few working days, copied to the unit's
leader). Each chase is named by its target (an assignment's report for a period, or a finding), and
its step; that name is the reminder's key, so a chase is sent once however often the rules are asked.

All days are Asia/Shanghai calendar days and a day starts at 00:00. A deadline "day D" means up to
the end of 23:59 on D (23:59:59.999999), as everywhere in the rules. "Now" is always a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import IntEnum, StrEnum

from tracker.rules.periods import (
    TZ,
    Period,
    ReportPeriod,
    at_2359,
    due_date,
    end_of_day,
    end_of_minute,
    local_date,
    period_of,
)
from tracker.rules.progress import is_done
from tracker.rules.status import ReportStatus, day_label, report_status
from tracker.rules.values import AssignmentFacts, Finding, ReportingRules
from tracker.rules.workdays import next_working_day, working_days_late


class Slip(IntEnum):
    """The colour of a 督办单, stored as `Reminder.step`: 1 blue, 2 yellow, 3 red."""

    BLUE = 1
    YELLOW = 2
    RED = 3

    @property
    def label(self) -> str:
        return {Slip.BLUE: "蓝色", Slip.YELLOW: "黄色", Slip.RED: "红色"}[self]


class Step(StrEnum):
    """A rung of the chase ladder; each is sent at most once per target (and period)."""

    REMIND = "remind"  # 提醒: in the days before the due day
    DUE_DAY = "due_day"  # 催报: on the due day itself
    OVERDUE = "overdue"  # 催办: the due day has passed and nothing came
    ESCALATE = "escalate"  # 督办: still nothing some working days later; copied to the unit's leader
    LATE = "late"  # 迟报: the report came, but after the due day


class ChaseKind(StrEnum):
    """What a chase is about; stored as `Reminder.kind`."""

    REPORT_DUE = "report_due"
    REPORT_MISSING = "report_missing"
    REPORT_LATE = "report_late"
    FINDING_DUE = "finding_due"
    FINDING_OVERDUE = "finding_overdue"
    MANUAL = "manual"


# The colour of each rung: blue before and on the day, yellow once overdue (or late), red at the end.
STEP_SLIP = {
    Step.REMIND: Slip.BLUE,
    Step.DUE_DAY: Slip.BLUE,
    Step.OVERDUE: Slip.YELLOW,
    Step.ESCALATE: Slip.RED,
    Step.LATE: Slip.YELLOW,
}

# The bracketed tag that opens a message, as the office prints it on the slip.
_REPORT_TAGS = {
    Step.REMIND: "提醒",
    Step.DUE_DAY: "催办",
    Step.OVERDUE: "催办",
    Step.ESCALATE: "督办",
    Step.LATE: "迟报",
}
_FINDING_TAGS = {Step.REMIND: "整改提醒", Step.OVERDUE: "整改催办", Step.ESCALATE: "整改督办"}


@dataclass(frozen=True)
class ChasePolicy:
    """When the rungs fall, configurable per deployment (defaults below).

    remind_days: the blue reminder starts this many calendar days before the due day (3: on the
        22nd for a report due on the 25th).
    escalate_days: the red slip starts on this many-th working day after the due day (3: a report
        due Saturday 2024-05-25 and still missing turns red on Wednesday 05-29).
    follow_days: a period's report is chased for this many days after its due moment, no longer;
        by then the next period's report is due and takes over.
    """

    remind_days: int = 3
    escalate_days: int = 3
    follow_days: int = 30

    def __post_init__(self) -> None:
        for name in ("remind_days", "escalate_days", "follow_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")


@dataclass(frozen=True)
class FindingCase:
    """A finding to chase: the finding as the rules know it, its unit's id, and when the unit answered.

    `answered_at` holds the moments the unit answered it (整改回复) with evidence; after an answer the
    finding waits for the office, not the unit, until the office reopens it.
    """

    finding: Finding
    unit_id: int
    answered_at: tuple[datetime, ...] = ()

    def awaits_unit(self, now: datetime) -> bool:
        """Open at `now`, and not answered since it was opened or last reopened."""
        f = self.finding
        if not f.is_open(now):
            return False
        opened = max([f.opened_at, *(m for m in f.reopened_at if m <= now)])
        return not any(opened <= m <= now for m in self.answered_at)


@dataclass(frozen=True)
class Chase:
    """One due chase: what it is about, its rung and colour, and the facts its message needs.

    `due` is 23:59 on the due day in force (after an approved extension) or on the finding's
    rectification deadline. `unit` is the unit's full name; a report chase carries `assignment_id`,
    `period` and the measure, a finding chase `finding_id` and `finding_title`.
    """

    key: str
    kind: ChaseKind
    step: Step
    unit: str
    due: datetime
    assignment_id: int | None = None
    period: ReportPeriod | None = None
    measure_code: str | None = None
    measure_title: str = ""
    finding_id: int | None = None
    finding_title: str = ""
    submitted_at: datetime | None = None
    days_late: int = 0
    extended_to: date | None = None

    @property
    def slip(self) -> Slip:
        return STEP_SLIP[self.step]

    @property
    def copy_leader(self) -> bool:
        """A red slip is copied to the unit's leader (抄送单位主要负责同志)."""
        return self.slip is Slip.RED

    @property
    def tag(self) -> str:
        """The message's opening tag, e.g. 【催办·黄色】."""
        names = _FINDING_TAGS if self.finding_id is not None else _REPORT_TAGS
        return slip_tag(names[self.step], self.slip)


def slip_tag(name: str, slip: Slip) -> str:
    """【name·colour】, e.g. slip_tag("催办", Slip.BLUE) → 【催办·蓝色】."""
    return f"【{name}·{slip.label}】"


def report_key(assignment_id: int, period: ReportPeriod, step: Step) -> str:
    """The stable key of a report chase: report:<assignment id>:<period, e.g. 2024-05>:<step>."""
    return f"report:{assignment_id}:{period}:{step}"


def finding_key(finding_id: int, deadline: date, step: Step) -> str:
    """The stable key of a finding chase: finding:<finding id>:<deadline>:<step>.

    The deadline is part of it, so when the office sets a new rectification deadline the ladder
    starts again for the new date; a reopening with the same deadline does not resend a rung.
    """
    return f"finding:{finding_id}:{deadline.isoformat()}:{step}"


def start_of_day(day: date) -> datetime:
    """00:00 on `day` in Asia/Shanghai."""
    return datetime.combine(day, time(0, 0), TZ)


def escalation_day(due: date, working_days: int) -> date:
    """The `working_days`-th working day after `due` (0: `due` itself).

    Due Saturday 2024-05-25, 3 → Wednesday 2024-05-29 (Monday 27th is the first); holidays and
    make-up days (调休) follow China's calendar, see `workdays.is_working_day`.
    """
    day = due
    for _ in range(working_days):
        day = next_working_day(day)
    return day


def _candidate_periods(facts: AssignmentFacts, today: date) -> list[ReportPeriod]:
    # A due moment sits in its period's last month (or a little after, for a holiday shift), so the
    # periods around today cover every open ladder; an extension can move one further, so add those.
    # Weeks are short: a month of follow-up holds several.
    here = period_of(facts.cadence, today)
    periods = {here, here.next()}
    for _ in range(6 if facts.cadence == "weekly" else 2):
        here = here.prev()
        periods.add(here)
    for extension in facts.extensions:
        # A period of another cadence (the measure's cadence changed since) is not chased.
        periods.update(p for p in extension.periods if type(p) is type(here))
    return sorted(periods)


def report_chases(
    facts: AssignmentFacts,
    rules: ReportingRules,
    now: datetime,
    policy: ChasePolicy | None = None,
    last_period: Period | None = None,
) -> tuple[Chase, ...]:
    """The chases due now for one assignment's reports (on its cadence), one rung per period at most.

    For each period P from the assignment's start up to `last_period` (the plan's last month; a
    period that begins after it is not chased), with
    D the due day in force (the plan's due day, after a holiday shift or an approved extension) and
    "nothing" meaning no report for P submitted by now:
    - remind (blue, 提醒): from 00:00 on D − remind_days until D begins, when nothing came yet;
    - due_day (blue, 催办): on D, up to 23:59 inclusive, when nothing came yet;
    - overdue (yellow, 催办): after 23:59 on D until the escalation day begins, when nothing came;
    - escalate (red, 督办, copied to the leader): from 00:00 on the escalate_days-th working day
      after D, when nothing came;
    - late (yellow, 迟报): once the first report for P came after 23:59 on D.
    Only the rung whose window holds `now` is due: after a pause the ladder resumes at its current
    rung and never sends an earlier one late. No chase for a period the assignment does not report
    (it starts after D), nor for an assignment done (confirmed) by now, nor more than follow_days
    after 23:59 on D. The boundaries are those of `status.report_status`: a report at 23:59:59 on D
    is on time.
    """
    policy = policy or ChasePolicy()
    if is_done(facts, rules, now):
        return ()
    today = local_date(now)
    first = period_of(facts.cadence, facts.start)
    found = []
    for period in _candidate_periods(facts, today):
        if period < first or (last_period is not None and period.first_day > last_period.last_day):
            continue
        if facts.start > due_date(period, rules):
            continue  # the assignment starts after this period's due day: nothing to report
        state = report_status(facts, period, rules, now)
        due_day = local_date(state.due)
        due_end = end_of_minute(state.due)
        opens = start_of_day(due_day - timedelta(days=policy.remind_days))
        closes = due_end + timedelta(days=policy.follow_days)
        if not opens <= now <= closes:
            continue
        step = _report_step(state.status, now, due_day, due_end, policy)
        if step is None:
            continue
        kind = {
            Step.REMIND: ChaseKind.REPORT_DUE,
            Step.DUE_DAY: ChaseKind.REPORT_DUE,
            Step.LATE: ChaseKind.REPORT_LATE,
        }.get(step, ChaseKind.REPORT_MISSING)
        days_late = state.days_late if step is Step.LATE else 0
        if step is Step.ESCALATE:
            days_late = working_days_late(due_day, today)
        found.append(
            Chase(
                key=report_key(facts.id, period, step),
                kind=kind,
                step=step,
                unit=facts.unit.name,
                due=state.due,
                assignment_id=facts.id,
                period=period,
                measure_code=facts.measure_code,
                measure_title=facts.measure_title,
                submitted_at=state.submitted_at,
                days_late=days_late,
                extended_to=state.extended_to,
            )
        )
    return tuple(found)


def _report_step(
    status: ReportStatus, now: datetime, due_day: date, due_end: datetime, policy: ChasePolicy
) -> Step | None:
    if status is ReportStatus.ON_TIME:
        return None
    if status is ReportStatus.LATE:
        return Step.LATE
    if status is ReportStatus.MISSING:
        escalate_from = start_of_day(escalation_day(due_day, policy.escalate_days))
        return Step.ESCALATE if now >= escalate_from else Step.OVERDUE
    # not_due: either still before the due moment with nothing sent, or not due at all (done by then).
    if now > due_end:
        return None
    return Step.DUE_DAY if local_date(now) == due_day else Step.REMIND


def finding_chases(case: FindingCase, now: datetime, policy: ChasePolicy | None = None) -> tuple[Chase, ...]:
    """The chase due now for a finding (问题整改), at most one.

    With D the rectification deadline, while the finding is open and waits for the unit (see
    `FindingCase.awaits_unit`):
    - remind (blue, 整改提醒): from 00:00 on D − remind_days up to 23:59 on D inclusive;
    - overdue (yellow, 整改催办): after 23:59 on D until the escalation day begins;
    - escalate (red, 整改督办, copied to the leader): from 00:00 on the escalate_days-th working day
      after D.
    A finding recorded after its window opened is chased at the rung `now` falls in. A closed or
    answered finding is not chased; a reopened one is, at the rung its deadline puts it on.
    """
    policy = policy or ChasePolicy()
    f = case.finding
    if not case.awaits_unit(now):
        return ()
    deadline = f.deadline
    if now < start_of_day(deadline - timedelta(days=policy.remind_days)):
        return ()
    if now <= end_of_day(deadline):
        step, kind = Step.REMIND, ChaseKind.FINDING_DUE
    elif now < start_of_day(escalation_day(deadline, policy.escalate_days)):
        step, kind = Step.OVERDUE, ChaseKind.FINDING_OVERDUE
    else:
        step, kind = Step.ESCALATE, ChaseKind.FINDING_OVERDUE
    days_late = working_days_late(deadline, local_date(now)) if step is Step.ESCALATE else 0
    return (
        Chase(
            key=finding_key(f.id, deadline, step),
            kind=kind,
            step=step,
            unit=f.unit,
            due=at_2359(deadline),
            measure_code=f.measure_code,
            finding_id=f.id,
            finding_title=f.title,
            days_late=days_late,
        ),
    )


def due_chases(
    assignments: Iterable[AssignmentFacts],
    findings: Iterable[FindingCase],
    rules: ReportingRules,
    now: datetime,
    policy: ChasePolicy | None = None,
    last_period: Period | None = None,
) -> tuple[Chase, ...]:
    """Every chase due now for a plan's assignments and findings (see `report_chases` and
    `finding_chases`), ordered by unit, then key, so a run's output reads the same each time."""
    found = [c for a in assignments for c in report_chases(a, rules, now, policy, last_period)]
    found += [c for case in findings for c in finding_chases(case, now, policy)]
    return tuple(sorted(found, key=lambda c: (c.unit, c.key)))


def _short(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _moment_label(moment: datetime) -> str:
    local = moment.astimezone(TZ)
    return f"{day_label(local.date())}{local:%H:%M}"


def measure_label(code: str | None, title: str) -> str:
    """第1.1项措施“加强政策业务培训”, or 第1.1项措施 when the title is unknown."""
    name = f"第{code}项措施" if code else "措施"
    return f"{name}“{_short(title)}”" if title else name


def chase_message(chase: Chase, plan_title: str = "") -> str:
    """The text of a chase, as an inspection office writes it on the slip.

    A report chase names the plan, the measure, the period and the due moment in force; a finding
    chase names the finding and its rectification deadline. A red slip says it is copied to the
    unit's leader.
    """
    plan = f"《{plan_title}》" if plan_title else ""
    due = _moment_label(chase.due)
    extended = f"（已批准延期至{day_label(chase.extended_to)}）" if chase.extended_to else ""
    copy = "本督办单抄送你单位主要负责同志。" if chase.copy_leader else ""
    if chase.finding_id is not None:
        what = f"问题“{_short(chase.finding_title, 40)}”"
        deadline = day_label(local_date(chase.due))
        if chase.step is Step.REMIND:
            text = f"{what}整改时限为{deadline}，请于{due}前完成整改并报送整改材料。"
        elif chase.step is Step.OVERDUE:
            text = f"{what}应于{deadline}前完成整改，现已逾期。请立即整改，报送整改材料并说明逾期原因。"
        else:
            text = (
                f"{what}应于{deadline}前完成整改，已逾期{chase.days_late}个工作日仍未完成。"
                "请立即整改，并向督查室书面说明原因。"
            )
        return chase.tag + text + copy
    what = f"{plan}{measure_label(chase.measure_code, chase.measure_title)}{chase.period.label}进展"
    if chase.step is Step.REMIND:
        text = f"请于{due}前报送{what}{extended}。"
    elif chase.step is Step.DUE_DAY:
        text = f"今天是报送截止日，请于{due}前报送{what}{extended}。"
    elif chase.step is Step.OVERDUE:
        text = f"{what}应于{due}前报送{extended}，你单位至今未报送，已逾期。请立即报送，并说明逾期原因。"
    elif chase.step is Step.ESCALATE:
        text = (
            f"{what}应于{due}前报送{extended}，你单位逾期{chase.days_late}个工作日仍未报送。"
            "请于今日内报送，并向督查室书面说明原因。"
        )
    else:
        text = (
            f"你单位于{_moment_label(chase.submitted_at)}报送{what}，晚于规定时限（{due}）{extended}，"
            f"迟报{chase.days_late}个工作日。请今后严格按时报送。"
        )
    return chase.tag + text + copy
