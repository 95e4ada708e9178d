"""The one clock of the process. Every rule takes "now" as a parameter; shells ask here.

`TRACKER_NOW` (ISO 8601 with offset) fixes the time for demos, tests and replaying a past month.
"""

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


class ClockError(ValueError):
    pass


def now() -> datetime:
    """The current moment, aware, in Asia/Shanghai; `TRACKER_NOW` overrides the real clock."""
    fixed = os.environ.get("TRACKER_NOW")
    if fixed:
        try:
            moment = datetime.fromisoformat(fixed.strip())
        except ValueError as exc:
            raise ClockError(f"TRACKER_NOW={fixed!r} is not ISO 8601 ({exc})") from None
        if moment.tzinfo is None:
            raise ClockError(f"TRACKER_NOW={fixed!r} needs an offset, e.g. +08:00")
        return moment.astimezone(TZ)
    return datetime.now(TZ)


def today() -> date:
    """Today's date in Asia/Shanghai."""
    return now().date()
