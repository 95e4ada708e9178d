"""Completion (办结) claimed by the lead unit and confirmed or reopened by the office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tracker.clock import now
from tracker.rules.progress import read
from tracker.rules.snapshot import code_key
from tracker.services.facts import gather
from tracker.services.scoping import Scope
from tracker.services.supervision.common import (
    SupervisionError,
    checked_text,
    reporting_period,
    require_office,
)
from tracker.services.supervision.overview import AssignmentRow, assignment_rows, facts_of
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import (
    Completion,
    Plan,
)

# ---------------------------------------------------------------- confirming completion (办结确认)


@dataclass(frozen=True)
class CompletionRow:
    row: AssignmentRow
    reported_at: datetime | None
    confirmed_at: datetime | None


def completions(plan: Plan, as_of: datetime) -> tuple[list[CompletionRow], list[CompletionRow]]:
    """The assignments whose unit reported them complete and the office has not confirmed, and the
    ones confirmed (done) as of `as_of`, each in measure order."""
    facts = gather(plan, as_of)
    rows = {r.assignment_id: r for r in assignment_rows(plan, facts, as_of, reporting_period(plan, as_of))}
    waiting, done = [], []
    for f in facts.assignments:
        reading = read(f, facts.rules, as_of)
        since = reading.done_since()
        if since is not None:
            done.append(CompletionRow(rows[f.id], None, since))
        elif reading.current is not None and reading.current.complete:
            moment = next((m for m, r in reversed(reading.submitted) if r is reading.current), None)
            waiting.append(CompletionRow(rows[f.id], moment, None))

    def key(c: CompletionRow):
        return (code_key(c.row.measure_code), c.row.role != "lead", c.row.unit_name)

    return sorted(waiting, key=key), sorted(done, key=key)


def confirm_completion(
    scope: Scope, assignment_id: int, note: str = "", at: datetime | None = None
) -> Completion:
    """The office confirms an assignment its unit reported complete: from now on it is done (办结)."""
    require_office(scope, f"confirm completion {assignment_id}")
    at = at or now()
    note = checked_text(note, "确认意见", required=False)
    with write_transaction():
        assignment = scope.assignment(assignment_id)
        _, facts, f = facts_of(assignment, at)
        reading = read(f, facts.rules, at) if f else None
        if reading is None or reading.current is None or not reading.current.complete:
            raise SupervisionError("单位尚未报送“已完成”，不能确认办结")
        if reading.done_since() is not None:
            raise SupervisionError("该任务已确认办结")
        row = Completion.create(
            assignment=assignment.id, kind="confirm", by=scope.user_id, at=at, reason=note
        )
        audit.record(
            scope.username,
            "completion.confirm",
            "assignment",
            assignment.id,
            {"done": False},
            {"done": True, "completion": row.id, "note": note},
        )
    return row


def reopen_completion(
    scope: Scope, assignment_id: int, reason: str, at: datetime | None = None
) -> Completion:
    """The office withdraws a confirmation with a reason: the assignment is no longer done."""
    require_office(scope, f"reopen completion {assignment_id}")
    at = at or now()
    reason = checked_text(reason, "撤销办结的理由")
    with write_transaction():
        assignment = scope.assignment(assignment_id)
        _, facts, f = facts_of(assignment, at)
        if f is None or read(f, facts.rules, at).done_since() is None:
            raise SupervisionError("该任务尚未确认办结")
        row = Completion.create(
            assignment=assignment.id, kind="reopen", by=scope.user_id, at=at, reason=reason
        )
        audit.record(
            scope.username,
            "completion.reopen",
            "assignment",
            assignment.id,
            {"done": True},
            {"done": False, "completion": row.id, "reason": reason},
        )
    return row
