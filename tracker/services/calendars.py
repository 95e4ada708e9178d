"""Calendar feeds (日历订阅): a unit's report due days, completion deadlines and rectification
deadlines, or a whole plan's for the office, as iCalendar at a secret URL that Outlook, WPS and phone
calendars subscribe to. The secret is the only key: resetting it stops the old URL at once."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from icalendar import Calendar, Event

from tracker.clock import now
from tracker.rules.periods import CADENCES, Period, ReportPeriod, Week, due_date, periods_between
from tracker.services.facts import reporting_rules
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import (
    Assignment,
    CalendarFeed,
    ExtensionRequest,
    Finding,
    Measure,
    Plan,
    Unit,
)

DOMAIN = "tracker"


def _key() -> str:
    return secrets.token_urlsafe(32)


def _feed(unit_id: int | None, plan_id: int | None) -> CalendarFeed:
    query = CalendarFeed.select().where(
        CalendarFeed.unit.is_null() if unit_id is None else CalendarFeed.unit == unit_id,
        CalendarFeed.plan.is_null() if plan_id is None else CalendarFeed.plan == plan_id,
    )
    found = query.first()
    if found is not None:
        return found
    with write_transaction():
        found = query.first()  # made by another request meanwhile
        return found or CalendarFeed.create(key=_key(), unit=unit_id, plan=plan_id, created_at=now())


def unit_feed(unit_id: int) -> CalendarFeed:
    """The unit's feed, made on first ask."""
    return _feed(unit_id, None)


def plan_feed(plan_id: int) -> CalendarFeed:
    """The office's feed of a whole plan, made on first ask."""
    return _feed(None, plan_id)


def reset(actor: str, feed: CalendarFeed) -> CalendarFeed:
    """A new secret for the feed; the old URL answers 404 from now on."""
    with write_transaction():
        CalendarFeed.update(key=_key(), reset_by=actor).where(CalendarFeed.id == feed.id).execute()
        audit.record(
            actor,
            "calendar.reset",
            "calendar_feed",
            feed.id,
            None,
            {"unit": feed.unit_id, "plan": feed.plan_id},
        )
    return CalendarFeed.get_by_id(feed.id)


def _periods(plan: Plan) -> list[ReportPeriod]:
    return list(periods_between(plan.cadence or "monthly", plan.start, plan.end))


def _all_day(uid: str, day: date, summary: str, description: str = "") -> Event:
    event = Event()
    event.add("uid", f"{uid}@{DOMAIN}")
    event.add("dtstamp", now())
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    event.add("transp", "TRANSPARENT")
    return event


def _due_days(cal: Calendar, plan: Plan) -> None:
    rules = reporting_rules(plan)
    for period in _periods(plan):
        if isinstance(period, Period):
            summary = f"【月度报送】{period.label}进展报送截止(23:59)"
            description = f"{plan.title}:{period.year}年{period.label}工作进展应于当日23:59前报送。"
        else:  # 2024年第2季度, 2024年上半年 … already name their year; a week is 2024年第23周
            label = f"{period.year}年{period.label}" if isinstance(period, Week) else period.label
            summary = f"【{CADENCES[period.cadence]}】{label}进展报送截止(23:59)"
            description = f"{plan.title}:{label}工作进展应于当日23:59前报送。"
        cal.add_component(_all_day(f"due-{plan.id}-{period}", due_date(period, rules), summary, description))


def _deadlines_in_force(assignment_ids: list[int]) -> dict[int, date]:
    """Approved extensions (延期) by assignment: the latest decision wins."""
    out: dict[int, date] = {}
    for r in (
        ExtensionRequest.select()
        .where(
            ExtensionRequest.assignment.in_(assignment_ids or [0]), ExtensionRequest.decision == "approved"
        )
        .order_by(ExtensionRequest.decided_at, ExtensionRequest.id)
    ):
        out[r.assignment_id] = r.new_deadline or r.requested_deadline
    return out


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//tracker//任务分工督查督办系统//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    return cal


def unit_calendar(unit: Unit) -> bytes:
    assignments = list(
        Assignment.select(Assignment, Measure, Plan)
        .join(Measure)
        .join(Plan)
        .where(Assignment.unit == unit.id, Assignment.archived_at.is_null(), Measure.archived_at.is_null())
        .order_by(Plan.id, Measure.position, Measure.id)
    )
    cal = _calendar(f"{unit.label} · 督查日历")
    extended = _deadlines_in_force([a.id for a in assignments])
    for plan in {a.measure.plan_id: a.measure.plan for a in assignments}.values():
        _due_days(cal, plan)
    for a in assignments:
        m = a.measure
        day = extended.get(a.id) or getattr(a, "deadline", None) or m.deadline
        if day is None:
            continue
        note = "(已批准延期)" if a.id in extended else ""
        cal.add_component(
            _all_day(
                f"deadline-{a.id}",
                day,
                f"【完成时限】第{m.code}项 {m.title}{note}",
                f"{m.plan.title} 第{m.code}项:{m.deadline_text or ''}",
            )
        )
    for f in Finding.select().where(Finding.unit == unit.id, Finding.state != "closed"):
        cal.add_component(_all_day(f"finding-{f.id}", f.rectify_by, f"【整改期限】{f.title}", f.detail or ""))
    return cal.to_ical()


def plan_calendar(plan: Plan) -> bytes:
    cal = _calendar(f"{plan.title} · 督查日历")
    _due_days(cal, plan)
    for m in (
        Measure.select()
        .where(Measure.plan == plan.id, Measure.archived_at.is_null())
        .order_by(Measure.position, Measure.id)
    ):
        if m.deadline is not None:
            cal.add_component(
                _all_day(
                    f"measure-{m.id}",
                    m.deadline,
                    f"【完成时限】第{m.code}项 {m.title}",
                    m.deadline_text or "",
                )
            )
    for f in (
        Finding.select(Finding, Unit)
        .join(Unit, on=(Finding.unit == Unit.id))
        .where(Finding.plan == plan.id, Finding.state != "closed")
    ):
        cal.add_component(
            _all_day(f"finding-{f.id}", f.rectify_by, f"【整改期限】{f.unit.label}:{f.title}", f.detail or "")
        )
    return cal.to_ical()


def calendar_by_key(key: str) -> bytes | None:
    """The iCalendar text behind a secret, or None for an unknown (or reset) one."""
    if not key or len(key) > 64:
        return None
    feed = CalendarFeed.get_or_none(CalendarFeed.key == key)
    if feed is None:
        return None
    if feed.unit_id is not None:
        return unit_calendar(feed.unit)
    return plan_calendar(feed.plan)
