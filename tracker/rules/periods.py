"""Reporting periods and the moments tied to them: a month `YYYY-MM` (the board's period), and the
report periods of every cadence: an ISO week `2024-W23`, a month, a quarter `2024Q2`, a half-year
`2024H1` and a year `2024`. A report's period is stored as its text, so a report knows its cadence.

All moments are aware datetimes in Asia/Shanghai. "23:59" means the whole minute: a report recorded at
23:59:59 on the due day is on time, one at 00:00 the next day is late.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from tracker.rules.workdays import is_working_day, next_working_day, working_day_on_or_after

if TYPE_CHECKING:
    from tracker.rules.values import ReportingRules

TZ = ZoneInfo("Asia/Shanghai")

_PERIOD = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})Q([1-4])")
_YEAR = re.compile(r"\d{4}")
_HALF = re.compile(r"(\d{4})H([12])")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")

# A plan's (or a measure's) reporting cadence, as PLAN-FORMAT.md spells it, and how a clerk says it.
CADENCES = {
    "weekly": "每周报送",
    "monthly": "每月报送",
    "quarterly": "每季度报送",
    "half-yearly": "每半年报送",
    "yearly": "每年报送",
}
# How each cadence's period is written, for messages that say what a period should look like.
CADENCE_EXAMPLES = {
    "weekly": "2024-W23",
    "monthly": "2024-05",
    "quarterly": "2024Q2",
    "half-yearly": "2024H1",
    "yearly": "2024",
}

# The last instant that still belongs to a 23:59 minute.
_REST_OF_MINUTE = timedelta(seconds=59, microseconds=999_999)


@dataclass(frozen=True, order=True)
class Period:
    """One calendar month, the unit of monthly reporting (月调度)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9998:
            raise ValueError(f"no such period: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """`"2024-05"` → Period(2024, 5); anything else raises ValueError."""
        match = _PERIOD.fullmatch(text.strip())
        if not match:
            raise ValueError(f"a period is written YYYY-MM, not {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Period:
        """The period a date falls in."""
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """How a clerk names the period in a sentence: "5月"."""
        return f"{self.month}月"

    def next(self) -> Period:
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)

    def prev(self) -> Period:
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def day(self, number: int) -> date:
        """Day `number` of the month, clipped to its length (31 in February 2024 → 2024-02-29)."""
        return date(self.year, self.month, min(number, self.last_day.day))

    @property
    def quarter(self) -> Quarter:
        return Quarter(self.year, (self.month - 1) // 3 + 1)

    cadence = "monthly"

    @property
    def last_month(self) -> Period:
        return self

    @property
    def periods(self) -> tuple[Period, ...]:
        return (self,)


class _Months:
    """A run of whole months (`periods`): its last month and its first and last days follow from them."""

    periods: tuple[Period, ...]

    @property
    def last_month(self) -> Period:
        return self.periods[-1]

    @property
    def first_day(self) -> date:
        return self.periods[0].first_day

    @property
    def last_day(self) -> date:
        return self.periods[-1].last_day


@dataclass(frozen=True, order=True)
class Quarter(_Months):
    """A calendar quarter, the window of the quarterly bulletin (季通报)."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"no such quarter: {self.year}Q{self.number}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """`"2024Q2"` → Quarter(2024, 2)."""
        match = _QUARTER.fullmatch(text.strip())
        if not match:
            raise ValueError(f"a quarter is written YYYYQn, not {text!r}")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.year:04d}Q{self.number}"

    cadence = "quarterly"

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        """ "2024年第2季度"."""
        return f"{self.year}年第{self.number}季度"

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def prev(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @property
    def periods(self) -> tuple[Period, ...]:
        first = (self.number - 1) * 3 + 1
        return tuple(Period(self.year, month) for month in range(first, first + 3))


@dataclass(frozen=True, order=True)
class Year:
    """A calendar year, the window of the yearly assessment (年考核)."""

    year: int

    @classmethod
    def parse(cls, text: str) -> Year:
        """`"2024"` → Year(2024)."""
        if not _YEAR.fullmatch(text.strip()):
            raise ValueError(f"a year is written YYYY, not {text!r}")
        return cls(int(text))

    def __str__(self) -> str:
        return f"{self.year:04d}"

    cadence = "yearly"

    @classmethod
    def of(cls, day: date) -> Year:
        return cls(day.year)

    @property
    def label(self) -> str:
        """ "2024年"."""
        return f"{self.year}年"

    def next(self) -> Year:
        return Year(self.year + 1)

    def prev(self) -> Year:
        return Year(self.year - 1)

    @property
    def last_month(self) -> Period:
        return Period(self.year, 12)

    @property
    def periods(self) -> tuple[Period, ...]:
        return tuple(Period(self.year, month) for month in range(1, 13))

    @property
    def first_day(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, 12, 31)


@dataclass(frozen=True, order=True)
class Half(_Months):
    """A half-year (半年), the period of half-yearly reporting: `2024H1` is January to June."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if self.number not in (1, 2):
            raise ValueError(f"no such half-year: {self.year}H{self.number}")

    @classmethod
    def parse(cls, text: str) -> Half:
        """`"2024H1"` → Half(2024, 1)."""
        match = _HALF.fullmatch(text.strip())
        if not match:
            raise ValueError(f"a half-year is written YYYYHn, not {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Half:
        return cls(day.year, 1 if day.month <= 6 else 2)

    def __str__(self) -> str:
        return f"{self.year:04d}H{self.number}"

    cadence = "half-yearly"

    @property
    def label(self) -> str:
        """ "2024年上半年" / "2024年下半年"."""
        return f"{self.year}年{'上' if self.number == 1 else '下'}半年"

    def next(self) -> Half:
        return Half(self.year + 1, 1) if self.number == 2 else Half(self.year, 2)

    def prev(self) -> Half:
        return Half(self.year - 1, 2) if self.number == 1 else Half(self.year, 1)

    @property
    def periods(self) -> tuple[Period, ...]:
        first = 1 if self.number == 1 else 7
        return tuple(Period(self.year, month) for month in range(first, first + 6))


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week (Monday to Sunday), the period of weekly reporting: `2024-W23`."""

    year: int
    number: int

    def __post_init__(self) -> None:
        date.fromisocalendar(self.year, self.number, 1)  # raises ValueError for a week that is not

    @classmethod
    def parse(cls, text: str) -> Week:
        """`"2024-W23"` → Week(2024, 23)."""
        match = _WEEK.fullmatch(text.strip())
        if not match:
            raise ValueError(f"a week is written YYYY-Www, not {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Week:
        year, number, _ = day.isocalendar()
        return cls(year, number)

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.number:02d}"

    cadence = "weekly"

    @property
    def label(self) -> str:
        """ "第23周"."""
        return f"第{self.number}周"

    def next(self) -> Week:
        return Week.of(self.last_day + timedelta(days=1))

    def prev(self) -> Week:
        return Week.of(self.first_day - timedelta(days=1))

    @property
    def first_day(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def last_day(self) -> date:
        return date.fromisocalendar(self.year, self.number, 7)

    @property
    def due(self) -> date:
        """The week's last working day (Friday, or the Saturday or Sunday of a 调休); a week without
        one (国庆 2024-W40) is due on the first working day after it."""
        day = self.last_day
        while day >= self.first_day:
            if is_working_day(day):
                return day
            day -= timedelta(days=1)
        return next_working_day(self.last_day)

    @property
    def last_month(self) -> Period:
        """The month the week's report falls due in, the board that counts it."""
        return Period.of(self.due)

    @property
    def periods(self) -> tuple[Period, ...]:
        return (self.last_month,)


ReportPeriod = Week | Period | Quarter | Half | Year
_KINDS: dict[str, type] = {
    "weekly": Week,
    "monthly": Period,
    "quarterly": Quarter,
    "half-yearly": Half,
    "yearly": Year,
}


@lru_cache(maxsize=8192)  # asked for every assignment; the same period object then keys its answers
def period_of(cadence: str, day: date) -> ReportPeriod:
    """The report period of `cadence` that `day` falls in (monthly, 2024-05-20 → `2024-05`;
    quarterly → `2024Q2`; weekly → `2024-W21`)."""
    return _KINDS[cadence].of(day)


def parse_period(text: str, cadence: str | None = None) -> ReportPeriod:
    """A report period from its text (`2024-W23`, `2024-05`, `2024Q2`, `2024H1`, `2024`). With
    `cadence`, only that cadence's form is taken; the error says, in Chinese, how to write it."""
    kinds = [_KINDS[cadence]] if cadence else list(_KINDS.values())
    for kind in kinds:
        try:
            return kind.parse(str(text))
        except ValueError:
            continue
    if cadence:
        raise ValueError(
            f"报送期“{text}”不对：本项{CADENCES[cadence]}，报送期应写作 {CADENCE_EXAMPLES[cadence]} 的形式"
        )
    raise ValueError(f"报送期“{text}”不对：应写作 2024-W23、2024-05、2024Q2、2024H1 或 2024 的形式")


@lru_cache(maxsize=1024)  # asked for every assignment and month of a window
def due_in(cadence: str, month: Period) -> tuple[ReportPeriod, ...]:
    """The report periods of `cadence` that fall due in `month`: the month itself when monthly; the
    quarter, half-year or year it closes, if any (a quarterly report is due only in March, June,
    September and December); the weeks whose last working day is in it."""
    if cadence == "monthly":
        return (month,)
    if cadence == "weekly":
        found, week = [], Week.of(month.first_day - timedelta(days=7))
        while week.first_day <= month.last_day:
            if week.last_month == month:
                found.append(week)
            week = week.next()
        return tuple(found)
    period = period_of(cadence, month.last_day)
    return (period,) if period.last_month == month else ()


def periods_between(cadence: str, first: date, last: date) -> tuple[ReportPeriod, ...]:
    """Every report period of `cadence` from the one `first` falls in to the one `last` falls in."""
    found, period = [], period_of(cadence, first)
    while period.first_day <= last:
        found.append(period)
        period = period.next()
    return tuple(found)


def covering_texts(months: list[Period] | tuple[Period, ...]) -> list[str]:
    """The texts of every report period, of any cadence, that falls due in one of `months` or
    contains one of them: what a board of those months may read."""
    found = set()
    for month in months:
        for cadence in _KINDS:
            found.update(str(p) for p in due_in(cadence, month))
            found.add(str(period_of(cadence, month.first_day)))
    return sorted(found)


_REVIEW = re.compile(r"([a-z][a-z0-9]{0,23})[-:](\d{4}-\d{2})")


@dataclass(frozen=True, order=True)
class Review:
    """One of a plan's own review windows (季调度 closing with May, 半年点评, 年终总结): the months from
    `first` to `end`, written `dispatch-2024-05` (the folder) or `dispatch:2024-05` (the command).

    Each window runs from the day after the previous window of the plan ends (or from adoption) to
    the last day of its month; see `review_windows`. A Review parsed from its key alone knows only
    its closing month.
    """

    end: Period
    code: str
    first: Period | None = None
    name: str = field(default="", compare=False)

    @classmethod
    def parse(cls, text: str) -> Review:
        match = _REVIEW.fullmatch(text.strip())
        if not match:
            raise ValueError(f"a review window is written CODE:YYYY-MM, not {text!r}")
        return cls(Period.parse(match[2]), match[1])

    def __str__(self) -> str:
        return f"{self.code}-{self.end}"

    @property
    def periods(self) -> tuple[Period, ...]:
        found, period = [], self.first or self.end
        while period <= self.end:
            found.append(period)
            period = period.next()
        return tuple(found)

    @property
    def first_day(self) -> date:
        return (self.first or self.end).first_day

    @property
    def last_day(self) -> date:
        return self.end.last_day


def review_windows(reviews: list[dict], start: date, end: date) -> tuple[Review, ...]:
    """Every review window of a plan from its reporting start (adoption) to its end, in order.

    `reviews` are the plan file's `{code, name, months}`. A window closes with the last day of one of
    its months and opens the month after the previous window of the same review closed (the first
    one at the start's month); a window whose month ends before the start is not held.
    """
    found = []
    for review in reviews:
        previous = None
        period = Period.of(start)
        while period.first_day <= end:
            if period.month in review["months"]:
                first = Period.of(start) if previous is None else previous.next()
                found.append(Review(period, review["code"], first, review["name"]))
                previous = period
            period = period.next()
    return tuple(sorted(found, key=lambda w: (w.end, w.code)))


Window = Period | Quarter | Year | Review


def parse_window(text: str) -> Window:
    """`"2024-05"`, `"2024Q2"`, `"2024"` or `"dispatch-2024-05"` → the matching Period, Quarter,
    Year or Review (a review knows only its closing month; see `review_windows`)."""
    for kind in (Period, Quarter, Year, Review):
        try:
            return kind.parse(text)
        except ValueError:
            continue
    raise ValueError(f"expected YYYY-MM, YYYYQn, YYYY or CODE:YYYY-MM, not {text!r}")


def phase_note(phases: list[dict], day: date) -> str:
    """Where `day` falls among a plan's phases (宣传动员, 集中实施, 巩固提升), as a clerk says it:
    "集中实施阶段，距结束 45 天" ("最后一天" on its end day); "" outside every phase. `phases` are the
    plan file's `{name, start, end}` with ISO dates."""
    for phase in phases:
        start, end = date.fromisoformat(str(phase["start"])), date.fromisoformat(str(phase["end"]))
        if start <= day <= end:
            left = (end - day).days
            return f"{phase['name']}阶段，" + (f"距结束 {left} 天" if left else "最后一天")
    return ""


def at_2359(day: date) -> datetime:
    """23:59 on `day` in Asia/Shanghai: the moment every deadline of a day is printed as."""
    return datetime.combine(day, time(23, 59), TZ)


def end_of_minute(moment: datetime) -> datetime:
    """The last instant of `moment`'s minute: what "by 23:59" includes (23:59:59.999999)."""
    return moment.replace(second=0, microsecond=0) + _REST_OF_MINUTE


@lru_cache(maxsize=8192)  # asked for every finding and milestone of a board
def end_of_day(day: date) -> datetime:
    """The last instant of `day` in Asia/Shanghai; a deadline date is met by anything up to it."""
    return end_of_minute(at_2359(day))


def local_date(moment: datetime) -> date:
    """The calendar date of an aware moment in Asia/Shanghai."""
    return moment.astimezone(TZ).date()


class Due(NamedTuple):
    """When a report period's report is due under a plan's rules (see `due_date`): the day, 23:59
    on it, and the last instant of that minute (what "by 23:59" includes)."""

    day: date
    moment: datetime
    end: datetime


def plan_due(period: ReportPeriod, rules: ReportingRules) -> Due:
    """`period`'s due day, due moment and the end of its minute under `rules` (see `due_date`)."""
    return _due(period, rules.due_day, rules.holiday_shift)


def due_date(period: ReportPeriod, rules: ReportingRules) -> date:
    """The day the report for `period` is due.

    A quarter, half-year or year is due like its last month (2024Q2 on the due day of June); a week
    on its last working day (see `Week.due`), whatever the due day.

    The plan's due day (default the 25th) clipped to the month's length, so due day 31 is 2024-02-29
    in a leap February and 2023-02-28 otherwise. When the plan shifts holidays (`holiday_shift`), a
    due day that is not a working day moves to the next working day: 2024-10-01 (国庆) → 2024-10-08;
    a make-up working day (调休, e.g. Sunday 2024-09-29) stays put. The shift may cross into the next
    month.
    """
    return _due(period, rules.due_day, rules.holiday_shift).day


def due_moment(period: ReportPeriod, rules: ReportingRules) -> datetime:
    """23:59 Asia/Shanghai on the due day of `period` (see `due_date`); the whole minute counts."""
    return _due(period, rules.due_day, rules.holiday_shift).moment


# A board asks this once per assignment and period: it is kept per period and the two rules it
# reads, a key that hashes far faster than the whole rules (with their Decimal weights) would.
@lru_cache(maxsize=4096)
def _due(period: ReportPeriod, due_day: int, holiday_shift: bool) -> Due:
    if isinstance(period, Week):
        day = period.due
    else:
        day = period.last_month.day(due_day)
        day = working_day_on_or_after(day) if holiday_shift else day
    moment = at_2359(day)
    return Due(day, moment, end_of_minute(moment))


def cutoff_moment(period: Period, rules: ReportingRules) -> datetime:
    """The cut-off of `period`'s board: 23:59 on the plan's cut-off day (default the month's last day).

    The cut-off day is clipped to the month's length like the due day. It is never earlier than the
    period's due moment: when a holiday shift (or a cut-off day before the due day) would put it
    before, the cut-off moves to the due moment, so a report sent on time is always on the board.
    """
    day = period.last_day if rules.cutoff_day is None else period.day(rules.cutoff_day)
    return max(at_2359(day), due_moment(period, rules))
