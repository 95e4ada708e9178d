"""Unit scoping, in one place: what a signed-in person may read and change.

Unit people (reporter, unit_leader) see only their own unit's data; the office roles see everything;
a leader reads everything and changes nothing. An inspector or leader with a unit is a level's office
(a county's 督查室): it sees that unit and every unit under it, and nothing else. Every query for a
unit's data goes through `Scope`, and every refusal raises `OutOfScope`, which the app answers with
404 and records.
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from tracker.store.models import (
    Assignment,
    Evidence,
    Finding,
    RectificationList,
    Report,
    ReportRevision,
    Unit,
    User,
)

UNIT_ROLES = frozenset({"reporter", "unit_leader"})
OFFICE_ROLES = frozenset({"inspector", "admin"})
READ_ALL_ROLES = frozenset({"inspector", "leader", "admin"})
SCOPABLE_ROLES = frozenset({"inspector", "leader"})  # a level's office: scoped to a unit and below


class OutOfScope(LookupError):
    """The object exists but is not this person's to see or change; shown to them as 'not found'."""


def subtree(unit_id: int) -> frozenset[int]:
    """A unit and every unit under it (its `parent` chain leads up to `unit_id`)."""
    children: dict[int | None, list[int]] = {}
    for uid, parent in Unit.select(Unit.id, Unit.parent).tuples():
        children.setdefault(parent, []).append(uid)
    found, todo = set(), [unit_id]
    while todo:
        uid = todo.pop()
        if uid not in found:
            found.add(uid)
            todo.extend(children.get(uid, ()))
    return frozenset(found)


@dataclass(frozen=True)
class Scope:
    user_id: int
    username: str
    role: str
    unit_id: int | None
    # A level's office (inspector or leader with a unit): the units it supervises; None = all.
    units: frozenset[int] | None = None

    @classmethod
    def of(cls, user: User) -> Scope:
        units = None
        if user.role in SCOPABLE_ROLES and user.unit_id is not None:
            units = subtree(user.unit_id)
        return cls(user.id, user.username, user.role, user.unit_id, units)

    @property
    def sees_all(self) -> bool:
        """Reads every unit's data: an office role without a unit (admins always)."""
        return self.role in READ_ALL_ROLES and self.units is None

    @property
    def is_scoped_office(self) -> bool:
        return self.role in READ_ALL_ROLES and self.units is not None

    @property
    def is_unit(self) -> bool:
        return self.role in UNIT_ROLES

    def covers(self, unit_id: int | None) -> bool:
        """Whether this person may read unit `unit_id`'s data."""
        if self.sees_all:
            return True
        if self.units is not None:
            return unit_id in self.units
        return self.unit_id is not None and unit_id == self.unit_id

    def restrict(self, query: pw.ModelSelect, unit_field: pw.Field) -> pw.ModelSelect:
        """Narrow a query to the rows this person may read, by the row's unit column."""
        if self.sees_all:
            return query
        if self.units is not None:
            return query.where(unit_field.in_(sorted(self.units)))
        if self.unit_id is None:
            return query.where(pw.SQL("1 = 0"))
        return query.where(unit_field == self.unit_id)

    def check_unit(self, unit_id: int | None) -> None:
        """Refuse reading a unit's data that is not this person's."""
        if not self.covers(unit_id):
            raise OutOfScope(f"unit {unit_id}")

    def check_write_unit(self, unit_id: int | None) -> None:
        """Refuse changing a unit's data: a unit changes only its own; the leader changes nothing."""
        if self.role in OFFICE_ROLES:
            if self.units is not None and unit_id not in self.units:
                raise OutOfScope(f"write unit {unit_id}")
            return
        if self.role in UNIT_ROLES and self.unit_id is not None and unit_id == self.unit_id:
            return
        raise OutOfScope(f"write unit {unit_id}")

    def assignment(self, assignment_id: int, *, write: bool = False) -> Assignment:
        """One assignment by id, if in scope; unknown and out-of-scope look the same."""
        row = (
            Assignment.select(Assignment, Unit)
            .join(Unit, on=(Assignment.unit == Unit.id))
            .where(Assignment.id == assignment_id)
            .first()
        )
        if row is None:
            raise OutOfScope(f"assignment {assignment_id}")
        (self.check_write_unit if write else self.check_unit)(row.unit_id)
        return row

    def assignments(self) -> pw.ModelSelect:
        """Active assignments this person may read."""
        return self.restrict(Assignment.active(), Assignment.unit)

    def revision(self, revision_id: int, *, write: bool = False) -> ReportRevision:
        """One report revision by id, with its report and assignment, if its unit is in scope."""
        row = (
            ReportRevision.select(ReportRevision, Report, Assignment)
            .join(Report)
            .join(Assignment)
            .where(ReportRevision.id == revision_id)
            .first()
        )
        if row is None:
            raise OutOfScope(f"revision {revision_id}")
        (self.check_write_unit if write else self.check_unit)(row.report.assignment.unit_id)
        return row

    def evidence(self, evidence_id: int) -> Evidence:
        """One evidence file's record by id, if its unit is in scope (the file itself is never public)."""
        row = Evidence.get_or_none(Evidence.id == evidence_id)
        if row is None:
            raise OutOfScope(f"evidence {evidence_id}")
        self.check_unit(row.unit_id)
        return row

    def check_plan_office(self, what: str) -> None:
        """Refuse what only the plan's own office does for the whole plan — its bulletins' commentary,
        publishing a board, the score weights — to a county's office (scoped to a level)."""
        if self.is_scoped_office:
            raise OutOfScope(what)

    def check_sign_off(self, unit_id: int | None) -> None:
        """Only the unit leader (单位负责人) of the report's own unit signs it off."""
        if self.role != "unit_leader" or self.unit_id is None or unit_id != self.unit_id:
            raise OutOfScope(f"sign off for unit {unit_id}")

    @property
    def is_office(self) -> bool:
        """The inspection office and admins: they return reports and import any unit's sheet."""
        return self.role in OFFICE_ROLES

    def finding(self, finding_id: int, *, write: bool = False) -> Finding:
        """One finding (问题) by id, if its unit is in scope; `write` for a unit answering its own."""
        row = Finding.get_or_none(Finding.id == finding_id)
        if row is None:
            raise OutOfScope(f"finding {finding_id}")
        (self.check_write_unit if write else self.check_unit)(row.unit_id)
        return row

    def rectification_list(self, list_id: int) -> RectificationList:
        """One rectification list (整改清单) by id, if it was sent to a unit in scope."""
        row = RectificationList.get_or_none(RectificationList.id == list_id)
        if row is None:
            raise OutOfScope(f"rectification list {list_id}")
        self.check_unit(row.unit_id)
        return row

    def lead_assignment(self, assignment_id: int) -> Assignment:
        """A lead assignment (牵头) whose measure's reports this person may compile: the lead unit's own
        people, or an office that covers the lead unit. Other assignments look not found."""
        row = self.assignment(assignment_id)
        if row.role != "lead":
            raise OutOfScope(f"compile assignment {assignment_id}")
        return row
