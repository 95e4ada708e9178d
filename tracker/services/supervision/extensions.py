"""Extension requests (延期申请) and the office's decisions on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tracker.clock import now
from tracker.rules.periods import local_date
from tracker.services import events
from tracker.services.scoping import OutOfScope, Scope
from tracker.services.supervision.common import (
    DECISION_LABELS,
    SupervisionError,
    checked_text,
    require_office,
    user_names,
)
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import (
    Assignment,
    ExtensionRequest,
    Measure,
    Plan,
    Unit,
)

# ---------------------------------------------------------------- extension requests (延期申请)


@dataclass(frozen=True)
class ExtensionRow:
    request: ExtensionRequest
    plan_code: str
    measure_code: str
    measure_title: str
    unit_label: str
    requested_by: str
    decided_by: str | None

    @property
    def decision_label(self) -> str:
        return DECISION_LABELS.get(self.request.decision, "待审核")


def extension_requests(
    scope: Scope, state: str = "pending", plan_id: int | None = None
) -> list[ExtensionRow]:
    """Extension requests the person may read: `pending` (oldest first), `decided` or `all` (newest first)."""
    query = (
        ExtensionRequest.select(ExtensionRequest, Assignment, Measure, Plan, Unit)
        .join(Assignment)
        .join(Measure)
        .join(Plan)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
    )
    query = scope.restrict(query, Assignment.unit)
    if plan_id:
        query = query.where(Measure.plan == plan_id)
    if state == "pending":
        query = query.where(ExtensionRequest.decision.is_null()).order_by(ExtensionRequest.requested_at)
    else:
        if state == "decided":
            query = query.where(ExtensionRequest.decision.is_null(False))
        query = query.order_by(ExtensionRequest.requested_at.desc(), ExtensionRequest.id.desc())
    rows = list(query)
    names = user_names([r.requested_by_id for r in rows] + [r.decided_by_id for r in rows])
    return [
        ExtensionRow(
            r,
            r.assignment.measure.plan.code,
            r.assignment.measure.code,
            r.assignment.measure.title,
            r.assignment.unit.label,
            names.get(r.requested_by_id, "?"),
            names.get(r.decided_by_id) if r.decided_by_id else None,
        )
        for r in rows
    ]


def extension_request(scope: Scope, request_id: int) -> ExtensionRow:
    """One extension request, if its unit is in scope."""
    row = ExtensionRequest.get_or_none(ExtensionRequest.id == request_id)
    if row is None:
        raise OutOfScope(f"extension {request_id}")
    scope.assignment(row.assignment_id)
    found = [r for r in extension_requests(scope, "all") if r.request.id == request_id]
    return found[0]


def decide_extension(
    scope: Scope,
    request_id: int,
    *,
    approve: bool,
    new_deadline: date | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> ExtensionRequest:
    """The office approves a request with a new completion deadline (default: the one asked for), or
    refuses it with a reason. A request is decided once; the unit asks again for another decision.
    The rules read the approval from its decision moment on: the light follows the new deadline."""
    require_office(scope, f"decide extension {request_id}")
    at = at or now()
    reason = checked_text(reason, "不予批准的理由" if not approve else "审核意见", required=not approve)
    with write_transaction():
        row = ExtensionRequest.get_or_none(ExtensionRequest.id == request_id)
        if row is None:
            raise OutOfScope(f"extension {request_id}")
        if row.decision is not None:
            raise SupervisionError(
                f"该申请已于 {local_date(row.decided_at):%Y-%m-%d} 审核，不能再改；请单位重新申请"
            )
        before = {"decision": None}
        if approve:
            day = new_deadline or row.requested_deadline
            floor = row.current_deadline or row.assignment.measure.deadline
            if floor is not None and day <= floor:
                raise SupervisionError(f"批准的新期限应晚于原完成时限（{floor:%Y-%m-%d}）")
            row.decision, row.new_deadline = "approved", day
        else:
            row.decision, row.new_deadline = "refused", None
        row.decided_by, row.decided_at, row.decision_reason = scope.user_id, at, reason
        row.save()
        audit.record(
            scope.username,
            "extension.decide",
            "extension_request",
            row.id,
            before,
            {
                "decision": row.decision,
                "new_deadline": row.new_deadline,
                "reason": reason,
                "assignment": row.assignment_id,
            },
        )
        events.emit(
            "extension.decided",
            row.assignment.unit_id,
            {
                "extension": row.id,
                "assignment": row.assignment_id,
                "decision": row.decision,
                "new_deadline": row.new_deadline,
                "reason": reason,
            },
            at=at,
        )
    return row
