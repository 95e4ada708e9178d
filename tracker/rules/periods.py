"""Reporting periods (a month `YYYY-MM`), quarters (`YYYYQn`) and years, and the moments tied to them.

All moments are aware datetimes in Asia/Shanghai. "23:59" means the whole minute: a report recorded at
23:59:59 on the due day is on time, one at 00:00 the next day is late.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tracker.rules.workdays import working_day_on_or_after

if TYPE_CHECKING:
    from tracker.rules.values import ReportingRules

TZ = ZoneInfo("Asia/Shanghai")

_PERIOD = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})Q([1-4])")
_YEAR = re.compile(r"\d{4}")

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

    @property
    def periods(self) -> tuple[Period, ...]:
        return (self,)


@dataclass(frozen=True, order=True)
class Quarter:
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

    @property
    def periods(self) -> tuple[Period, ...]:
        first = (self.number - 1) * 3 + 1
        return tuple(Period(self.year, month) for month in range(first, first + 3))

    @property
    def first_day(self) -> date:
        return self.periods[0].first_day

    @property
    def last_day(self) -> date:
        return self.periods[-1].last_day


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

    @property
    def periods(self) -> tuple[Period, ...]:
        return tuple(Period(self.year, month) for month in range(1, 13))

    @property
    def first_day(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, 12, 31)


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


def end_of_day(day: date) -> datetime:
    """The last instant of `day` in Asia/Shanghai; a deadline date is met by anything up to it."""
    return end_of_minute(at_2359(day))


def local_date(moment: datetime) -> date:
    """The calendar date of an aware moment in Asia/Shanghai."""
    return moment.astimezone(TZ).date()


@lru_cache(maxsize=4096)
def due_date(period: Period, rules: ReportingRules) -> date:
    """The day the report for `period` is due.

    The plan's due day (default the 25th) clipped to the month's length, so due day 31 is 2024-02-29
    in a leap February and 2023-02-28 otherwise. When the plan shifts holidays (`holiday_shift`), a
    due day that is not a working day moves to the next working day: 2024-10-01 (国庆) → 2024-10-08;
    a make-up working day (调休, e.g. Sunday 2024-09-29) stays put. The shift may cross into the next
    month.
    """
    day = period.day(rules.due_day)
    return working_day_on_or_after(day) if rules.holiday_shift else day


def due_moment(period: Period, rules: ReportingRules) -> datetime:
    """23:59 Asia/Shanghai on the due day of `period` (see `due_date`); the whole minute counts."""
    return at_2359(due_date(period, rules))


def cutoff_moment(period: Period, rules: ReportingRules) -> datetime:
    """The cut-off of `period`'s board: 23:59 on the plan's cut-off day (default the month's last day).

    The cut-off day is clipped to the month's length like the due day. It is never earlier than the
    period's due moment: when a holiday shift (or a cut-off day before the due day) would put it
    before, the cut-off moves to the due moment, so a report sent on time is always on the board.
    """
    day = period.last_day if rules.cutoff_day is None else period.day(rules.cutoff_day)
    return max(at_2359(day), due_moment(period, rules))
