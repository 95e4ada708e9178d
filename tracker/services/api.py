"""The JSON API's reads: plans, measures, assignments with light and report status, report revisions,
findings and the live board. Each goes through `Scope`, so a token reads what its person reads in
the app and nothing more; lights and statuses come from the same rules as the office's overview.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

import peewee as pw

from tracker.clock import now
from tracker.rules import snapshot
from tracker.rules.periods import Period, due_moment, end_of_day, local_date
from tracker.services import reports as report_service
from tracker.services import supervision
from tracker.services.boards import UnknownPlan, board_moment, plan_by_code
from tracker.services.facts import gather, reporting_rules
from tracker.services.scoping import Scope
from tracker.store.models import Assignment, Finding, Indicator, Measure, Plan, Section

PAGE = 50
MAX_PAGE = 200
FINDING_STATES = ("open", "answered", "closed")


class ApiInputError(ValueError):
    """A filter, cursor or period the API cannot use; answered with 400 and this message."""


@dataclass(frozen=True)
class Page:
    items: list[dict]
    next: str | None


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"p": position}).encode()).decode().rstrip("=")


def decode_cursor(text: str | None) -> int:
    """The position a cursor stands for (0 for none); anything else is refused, never guessed."""
    if not text:
        return 0
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        position = value["p"]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise ApiInputError("翻页游标无效,请使用上一页返回的 next") from None
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise ApiInputError("翻页游标无效,请使用上一页返回的 next")
    return position


def _page_by_id(query: pw.ModelSelect, id_field: pw.Field, cursor: str | None, limit: int):
    """Rows after the cursor's id, ordered by id: stable while rows are added."""
    after = decode_cursor(cursor)
    rows = list(query.where(id_field > after).order_by(id_field).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].id) if more and rows else None


def parse_period(text: str | None) -> Period | None:
    if not text:
        return None
    try:
        return Period.parse(text)
    except ValueError:
        raise ApiInputError(f"报送期 {text!r} 格式应为 YYYY-MM,如 2024-05") from None


def _plan(code: str) -> Plan:
    return plan_by_code(code)  # UnknownPlan → 404


# ---------------------------------------------------------------- plans and measures


def plan_item(plan: Plan) -> dict:
    return {
        "id": plan.id,
        "code": plan.code,
        "title": plan.title,
        "issuer": plan.issuer,
        "doc_number": plan.doc_number,
        "issued": plan.issued,
        "start": plan.start,
        "end": plan.end,
        "cadence": plan.cadence,
        "due_day": plan.due_day,
    }


def plans(cursor: str | None = None, limit: int = PAGE) -> Page:
    rows, nxt = _page_by_id(Plan.select(), Plan.id, cursor, limit)
    return Page([plan_item(p) for p in rows], nxt)


def measures(scope: Scope, code: str, cursor: str | None = None, limit: int = PAGE) -> Page:
    """A plan's active measures; a unit sees the public ones and those it is assigned to."""
    plan = _plan(code)
    query = (
        Measure.select(Measure, Section)
        .join(Section)
        .where(Measure.plan == plan.id, Measure.archived_at.is_null())
    )
    if not scope.sees_all:
        mine = scope.assignments().select(Assignment.measure)
        query = query.where(Measure.public | Measure.id.in_(mine))
    rows, nxt = _page_by_id(query, Measure.id, cursor, limit)
    indicators: dict[int, list[Indicator]] = {}
    for i in (
        Indicator.select()
        .where(Indicator.measure.in_([m.id for m in rows] or [0]), Indicator.archived_at.is_null())
        .order_by(Indicator.position)
    ):
        indicators.setdefault(i.measure_id, []).append(i)
    items = [
        {
            "id": m.id,
            "plan": plan.code,
            "code": m.code,
            "section": m.section.code,
            "title": m.title,
            "text": m.text or "",
            "deadline": m.deadline,
            "deadline_text": m.deadline_text,
            "recurring": m.recurring,
            "units": m.printed_units or {},
            "indicators": [
                {"code": i.code, "name": i.name, "unit": i.unit, "target": i.target}
                for i in indicators.get(m.id, [])
            ],
        }
        for m in rows
    ]
    return Page(items, nxt)


# ---------------------------------------------------------------- assignments


def _assignment_items(plan_ids: dict[int, list[int]], period: Period | None, as_of: datetime) -> dict:
    """Light and report status of the given assignments (by plan), as the office's overview has them."""
    found = {}
    for plan_id, ids in plan_ids.items():
        plan = Plan.get_by_id(plan_id)
        moment = min(as_of, end_of_day(plan.end))
        the_period = period or supervision.reporting_period(plan, moment)
        units = set(Assignment.select(Assignment.unit).where(Assignment.id.in_(ids)).tuples())
        unit_id = next(iter(units))[0] if len(units) == 1 else None
        facts = gather(plan, moment, unit_id=unit_id)
        due = due_moment(the_period, reporting_rules(plan))
        wanted = set(ids)
        for row in supervision.assignment_rows(plan, facts, moment, the_period):
            if row.assignment_id not in wanted:
                continue
            found[row.assignment_id] = {
                "id": row.assignment_id,
                "plan": row.plan_code,
                "measure": row.measure_code,
                "measure_title": row.measure_title,
                "unit_id": row.unit_id,
                "unit": row.unit_name,
                "role": row.role,
                "deadline": row.deadline,
                "light": row.light,
                "light_reasons": list(row.reasons),
                "period": row.period,
                "due": due,
                "status": row.report,
                "status_reason": row.report_reason,
                "percent": row.percent,
            }
    return found


def assignments(
    scope: Scope,
    *,
    plan: str | None = None,
    unit: int | None = None,
    period: str | None = None,
    cursor: str | None = None,
    limit: int = PAGE,
    as_of: datetime | None = None,
) -> Page:
    """The caller's active assignments, by id, with light, report status for `period` (default: the
    period the office is checking) and its due time."""
    as_of = as_of or now()
    the_period = parse_period(period)
    query = scope.assignments().join(Measure).where(Measure.archived_at.is_null())
    if plan:
        query = query.where(Measure.plan == _plan(plan).id)
    if unit is not None:
        query = query.where(Assignment.unit == unit)
    rows, nxt = _page_by_id(query, Assignment.id, cursor, limit)
    by_plan: dict[int, list[int]] = {}
    for a in rows:
        by_plan.setdefault(a.measure.plan_id, []).append(a.id)
    found = _assignment_items(by_plan, the_period, as_of)
    return Page([found[a.id] for a in rows if a.id in found], nxt)


def assignment(scope: Scope, assignment_id: int, period: str | None = None, as_of: datetime | None = None):
    """One assignment in scope (OutOfScope otherwise), with its measure's text and indicators."""
    as_of = as_of or now()
    the_period = parse_period(period)
    row = scope.assignment(assignment_id)
    measure = row.measure
    found = _assignment_items({measure.plan_id: [row.id]}, the_period, as_of)
    item = found.get(row.id)
    if item is None:  # archived: no longer on any board
        raise UnknownPlan(f"assignment {assignment_id} is archived")
    indicators = (
        Indicator.select()
        .where(Indicator.measure == measure.id, Indicator.archived_at.is_null())
        .order_by(Indicator.position)
    )
    return {
        **item,
        "measure_text": measure.text or "",
        "indicators": [
            {"code": i.code, "name": i.name, "unit": i.unit, "target": i.target} for i in indicators
        ],
    }


# ---------------------------------------------------------------- reports


def revision_item(view: report_service.RevisionView) -> dict:
    return {
        "id": view.id,
        "number": view.number,
        "period": view.period,
        "author": view.author,
        "recorded_at": view.recorded_at,
        "source": view.source,
        "percent": view.percent,
        "complete": view.complete,
        "narrative": view.narrative,
        "problems": view.problems,
        "next_steps": view.next_steps,
        "public_summary": view.public_summary,
        "indicators": [
            {
                "code": r.code,
                "name": r.name,
                "unit": r.unit,
                "value": None if r.value is None else float(r.value),
                "note": r.note,
            }
            for r in view.indicators
        ],
        "returned": view.returned,
        "returns": [{"by": r.by, "at": r.at, "reason": r.reason} for r in view.returns],
        "signed_by": view.signed_by,
        "signed_at": view.signed_at,
    }


def reports(
    scope: Scope, assignment_id: int, period: str | None = None, cursor: str | None = None, limit: int = PAGE
) -> Page:
    """Every revision of the assignment's reports (one period's with `period`), newest first."""
    the_period = parse_period(period)
    history = report_service.report_history(scope, assignment_id)
    views = [v for v in history.revisions if the_period is None or v.period == str(the_period)]
    start = decode_cursor(cursor)
    chunk = views[start : start + limit]
    nxt = encode_cursor(start + limit) if start + limit < len(views) else None
    return Page([revision_item(v) for v in chunk], nxt)


# ---------------------------------------------------------------- findings


def finding_item(f: Finding, as_of: datetime) -> dict:
    return {
        "id": f.id,
        "plan": f.plan.code if f.plan_id else None,
        "measure": f.measure.code if f.measure_id else None,
        "unit_id": f.unit_id,
        "unit": f.unit.name,
        "title": f.title,
        "detail": f.detail,
        "severity": f.severity,
        "state": f.state,
        "rectify_by": f.rectify_by,
        "overdue": f.state != "closed" and f.rectify_by < local_date(as_of),
        "created_at": f.created_at,
        "closed_at": f.closed_at,
    }


def findings(
    scope: Scope,
    *,
    state: str | None = None,
    plan: str | None = None,
    unit: int | None = None,
    cursor: str | None = None,
    limit: int = PAGE,
) -> Page:
    """The ledger the caller may read (most urgent first), narrowed by state, plan and unit."""
    if state and state not in FINDING_STATES:
        raise ApiInputError(f"state 只能是 {'、'.join(FINDING_STATES)} 之一")
    plan_id = _plan(plan).id if plan else None
    rows = supervision.finding_ledger(scope, state=state or None, plan_id=plan_id, unit_id=unit)
    start = decode_cursor(cursor)
    chunk = rows[start : start + limit]
    nxt = encode_cursor(start + limit) if start + limit < len(rows) else None
    moment = now()
    return Page([finding_item(r.finding, moment) for r in chunk], nxt)


def finding(scope: Scope, finding_id: int) -> dict:
    return finding_item(scope.finding(finding_id), now())


# ---------------------------------------------------------------- the live board


def live_board(code: str, period_text: str, as_of: datetime | None = None) -> dict:
    """The monthly board of `period` as recorded up to now (or its cut-off, once past), in board.json's shape."""
    plan = _plan(code)
    period = parse_period(period_text)
    if period < Period.of(plan.start) or period > Period.of(plan.end):
        raise ApiInputError(f"{period} 不在方案实施期内({plan.start:%Y-%m} 至 {plan.end:%Y-%m})")
    moment = min(as_of or now(), board_moment(plan, period))
    facts = gather(plan, moment, periods=(period.prev(), period))
    doc = snapshot.board_json(snapshot.board(facts.assignments, period, facts.rules), plan.code)
    doc["as_of"] = moment.isoformat()
    return doc
