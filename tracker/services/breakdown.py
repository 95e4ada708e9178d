"""Breakdown (分解): the unit holding an assignment, or its level's office, splits it among the units
under it, each with its share of every indicator and its own deadline (never later than the parent's).

Children are assignments like any other: they report, are chased and judged against their share; the
parent's indicator values become the roll-up of theirs. A revised split updates the children it
keeps, adds new ones, and archives (never deletes) those it drops; every change is audited, so the
old split stays in the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tracker.clock import now
from tracker.services.scoping import OutOfScope, Scope, subtree
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import Assignment, AuditEvent, Indicator, Measure, Unit


class BreakdownError(ValueError):
    """A split that cannot be recorded, with the reason a clerk can act on."""


@dataclass(frozen=True)
class Part:
    """One child of a split: the unit, its shares (indicator code → number) and its deadline."""

    unit_id: int
    shares: dict[str, Decimal] = field(default_factory=dict)
    deadline: date | None = None


def parent_deadline(assignment: Assignment) -> date | None:
    """The deadline a split must keep within: the assignment's own (from an earlier split) or the measure's."""
    return assignment.deadline or assignment.measure.deadline


def may_split(scope: Scope, assignment: Assignment) -> bool:
    """The unit holding the assignment, or an office that supervises that unit."""
    if scope.is_unit:
        return scope.unit_id == assignment.unit_id
    return scope.is_office and scope.covers(assignment.unit_id)


def candidates(assignment: Assignment) -> list[Unit]:
    """The units a split may give parts to: every unit under the assignment's unit."""
    below = subtree(assignment.unit_id) - {assignment.unit_id}
    return list(Unit.select().where(Unit.id.in_(sorted(below) or [0])).order_by(Unit.kind, Unit.name))


def children(assignment: Assignment) -> list[Assignment]:
    """The current split: the active children of `assignment`, in their order."""
    return list(
        Assignment.active()
        .where(Assignment.parent == assignment.id)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .order_by(Assignment.position, Unit.name)
    )


@dataclass(frozen=True)
class Revision:
    """One audited change to a split, for the page's history: when, who, which unit, before → after."""

    at: object
    actor: str
    action: str
    unit: str
    before: dict | None
    after: dict | None


def history(assignment: Assignment) -> list[Revision]:
    """Every split and revision of `assignment`, newest first, read from the audit trail."""
    rows = list(Assignment.select(Assignment, Unit).join(Unit).where(Assignment.parent == assignment.id))
    names = {str(a.id): a.unit.label for a in rows}
    if not names:
        return []
    events = (
        AuditEvent.select()
        .where(
            AuditEvent.entity == "assignment",
            AuditEvent.action.in_(["assignment.split", "assignment.unsplit"]),
            AuditEvent.entity_id.in_(sorted(names)),
        )
        .order_by(AuditEvent.seq.desc())
    )
    return [Revision(e.at, e.actor, e.action, names[e.entity_id], e.before, e.after) for e in events]


def split(scope: Scope, assignment_id: int, parts: list[Part]) -> list[Assignment]:
    """Record (or revise) the split of an assignment; returns its children. All or nothing."""
    parent = scope.assignment(assignment_id)
    if not may_split(scope, parent):
        raise OutOfScope(f"split assignment {assignment_id}")
    parent = Assignment.select(Assignment, Measure).join(Measure).where(Assignment.id == parent.id).get()
    if not parts:
        raise BreakdownError("请至少分解给一个下级单位")
    below = subtree(parent.unit_id) - {parent.unit_id}
    codes = {
        i.code: i
        for i in Indicator.select().where(
            Indicator.measure == parent.measure_id, Indicator.archived_at.is_null()
        )
    }
    limit = parent_deadline(parent)
    names = {u.id: u for u in Unit.select().where(Unit.id.in_([p.unit_id for p in parts]))}
    seen = set()
    for part in parts:
        unit = names.get(part.unit_id)
        if unit is None or part.unit_id not in below:
            raise BreakdownError("只能分解给本单位的下级单位")
        if part.unit_id in seen:
            raise BreakdownError(f"{unit.label} 重复")
        seen.add(part.unit_id)
        if part.deadline and limit and part.deadline > limit:
            raise BreakdownError(f"{unit.label} 的完成时限 {part.deadline} 晚于上级时限 {limit}")
        for code, value in part.shares.items():
            if code not in codes:
                raise BreakdownError(f"指标 {code!r} 不属于本措施")
            if value < 0:
                raise BreakdownError(f"{unit.label} 的「{codes[code].name}」分解数不能为负")
    at = now()
    with write_transaction():
        stored = {a.unit_id: a for a in Assignment.select().where(Assignment.measure == parent.measure_id)}
        changes, out = [], []
        for position, part in enumerate(parts):
            values = {
                "parent": parent.id,
                "deadline": part.deadline or limit,
                "shares": {code: _plain(v) for code, v in sorted(part.shares.items())},
                "position": position,
                "archived_at": None,
            }
            row = stored.get(part.unit_id)
            if row is None:
                row = Assignment.create(
                    measure=parent.measure_id,
                    unit=part.unit_id,
                    role="responsible",
                    printed_name=names[part.unit_id].name,
                    created_at=at,
                    **values,
                )
                changes.append(audit.Change("assignment.split", "assignment", row.id, None, _state(row)))
            else:
                if row.parent_id not in (None, parent.id) or (
                    row.parent_id is None and row.archived_at is None
                ):
                    raise BreakdownError(f"{names[part.unit_id].label} 在本措施已有任务,不能再分解给它")
                before = _state(row)
                for k, v in values.items():
                    setattr(row, k, v)
                row.save()
                if before != _state(row):
                    changes.append(
                        audit.Change("assignment.split", "assignment", row.id, before, _state(row))
                    )
            out.append(row)
        for row in stored.values():
            if row.parent_id == parent.id and row.archived_at is None and row.unit_id not in seen:
                before = _state(row)
                row.archived_at = at
                row.save(only=["archived_at"])
                changes.append(audit.Change("assignment.unsplit", "assignment", row.id, before, _state(row)))
        audit.record_many(scope.username, changes)
    return out


def _state(row: Assignment) -> dict:
    return {
        "parent": row.parent_id,
        "unit": row.unit_id,
        "deadline": row.deadline.isoformat() if row.deadline else None,
        "shares": dict(row.shares or {}),
        "archived": row.archived_at is not None,
    }


def _plain(value: Decimal) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)
