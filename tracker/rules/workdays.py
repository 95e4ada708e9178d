"""China's working-day calendar: weekends, public holidays and make-up working days (调休).

The data comes from the maintained `chinese_calendar` package; a date it does not cover falls back to
"Monday to Friday are working days", so a rule never fails on a far date.
"""

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """Whether `day` is a working day in mainland China.

    Holidays (e.g. 2024-10-01 国庆) are not working days; make-up days (调休, e.g. Sunday 2024-09-29)
    are. For a year the `chinese_calendar` package has no data for (it covers 2004 to its latest
    published State Council notice), Monday to Friday count as working days and weekends do not.
    """
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def next_working_day(day: date) -> date:
    """The first working day strictly after `day` (2024-09-30 → 2024-10-08 across 国庆)."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_day_on_or_after(day: date) -> date:
    """`day` itself when it is a working day, else the next working day (a holiday shifts forward)."""
    return day if is_working_day(day) else next_working_day(day)


@lru_cache(maxsize=8192)  # a yearly assessment asks it for every late report
def working_days_late(due: date, submitted: date) -> int:
    """How many working days a report sent on `submitted` is late for a report due on `due`.

    0 when sent on or before the due day. Otherwise the count of working days after the due day up
    to and including the first working day on or after the sending day: sent on the first working day
    after the due day (or on the rest days before it) is 1 day late, on the second is 2, and so on.
    Example: due Friday 2024-09-27, sent Saturday 09-28 or Sunday 09-29 (a 调休 working day) → 1.
    """
    if submitted <= due:
        return 0
    last = working_day_on_or_after(submitted)
    count = 0
    day = due
    while day < last:
        day = next_working_day(day)
        count += 1
    return count
