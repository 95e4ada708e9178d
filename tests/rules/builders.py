"""Short builders for the rules' frozen facts, so a test table reads like the case it describes."""

from __future__ import annotations

from datetime import date, datetime

from tracker.rules.periods import TZ, ReportPeriod, parse_period
from tracker.rules.values import (
    AssignmentFacts,
    Confirmation,
    ExtensionDecision,
    Finding,
    IndicatorValue,
    Reopening,
    Revision,
    Role,
    Unit,
)

DRC = Unit("安康市发展和改革委员会", "市发改委")
ORG = Unit("中共安康市委组织部", "市委组织部")
FIN = Unit("安康市财政局", "市财政局")


def at(text: str) -> datetime:
    """`"2024-05-25 23:59:59"` → that moment in Asia/Shanghai (an explicit offset is kept)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def day(text: str) -> date:
    return date.fromisoformat(text)


def period(text: str) -> ReportPeriod:
    """Any report period: `2024-05`, `2024Q2`, `2024H1`, `2024`, `2024-W23`."""
    return parse_period(text)


def report(recorded: str, for_period: str, percent: int = 50, **fields) -> Revision:
    """A revision recorded at `recorded` for `for_period`; moments in `fields` may be strings."""
    for name in ("signed_off_at", "returned_at"):
        if isinstance(fields.get(name), str):
            fields[name] = at(fields[name])
    values = fields.pop("values", {})
    fields["indicator_values"] = tuple(IndicatorValue(name, value) for name, value in values.items())
    return Revision(at(recorded), period(for_period), percent, **fields)


def extension(
    decided: str, new_deadline: str, periods: tuple[str, ...] = (), approved: bool = True
) -> ExtensionDecision:
    decided_at = at(decided)
    return ExtensionDecision(decided_at, decided_at, approved, day(new_deadline), tuple(map(period, periods)))


def finding(
    opened: str, deadline: str, closed: tuple[str, ...] = (), reopened: tuple[str, ...] = (), **fields
):
    fields.setdefault("id", 1)
    fields.setdefault("unit", DRC.name)
    fields.setdefault("title", "台账不全")
    fields.setdefault("measure_code", "1.1")
    return Finding(
        opened_at=at(opened),
        deadline=day(deadline),
        closed_at=tuple(map(at, closed)),
        reopened_at=tuple(map(at, reopened)),
        **fields,
    )


def confirmed(*moments: str) -> tuple[Confirmation, ...]:
    return tuple(Confirmation(at(moment)) for moment in moments)


def reopened(*moments: str) -> tuple[Reopening, ...]:
    return tuple(Reopening(at(moment), "复核未通过") for moment in moments)


def assignment(**fields) -> AssignmentFacts:
    """A lead assignment of 市发改委 on measure 1.1 from 2024-01-01, unless `fields` say otherwise."""
    fields.setdefault("id", 1)
    fields.setdefault("unit", DRC)
    fields.setdefault("measure_code", "1.1")
    fields.setdefault("measure_title", "加强党政班子建设")
    fields.setdefault("role", Role.LEAD)
    for name in ("start", "deadline"):
        if isinstance(fields.get(name), str):
            fields[name] = day(fields[name])
    fields.setdefault("start", date(2024, 1, 1))
    for name in ("revisions", "extensions", "findings", "confirmations", "reopenings"):
        fields[name] = tuple(fields.get(name, ()))
    return AssignmentFacts(**fields)


def monthly_reports(first: str, last: str, percent: int = 50, on_day: int = 20) -> list[Revision]:
    """One on-time report (on day `on_day` at 10:00) for every period from `first` to `last`."""
    reports = []
    current, end = period(first), period(last)
    while current <= end:
        reports.append(report(f"{current}-{on_day:02d} 10:00", str(current), percent))
        current = current.next()
    return reports
