"""Inspections (督查), findings (问题台账) and rectification lists (整改清单): open, answer, close
(销号) and reopen, each with its history row and audit event."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import peewee as pw
from peewee import JOIN

from tracker.clock import now
from tracker.rules.periods import local_date
from tracker.services import events
from tracker.services.scoping import OutOfScope, Scope
from tracker.services.supervision.common import (
    EVENT_LABELS,
    OFFICE_NAME_SETTING,
    SEVERITY_LABELS,
    STATE_LABELS,
    TITLE_LIMIT,
    SupervisionError,
    checked_text,
    require_office,
    user_names,
)
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import (
    Assignment,
    Evidence,
    Finding,
    FindingEvent,
    Inspection,
    Measure,
    Plan,
    RectificationList,
    Setting,
    Unit,
)

# ---------------------------------------------------------------- inspections and findings (督查, 问题台账)


def create_inspection(
    scope: Scope,
    *,
    title: str,
    held_on: date,
    plan_id: int | None = None,
    notes: str = "",
    at: datetime | None = None,
) -> Inspection:
    """Record an inspection (督查): what was looked at and when; its notes stay internal."""
    require_office(scope, "create inspection")
    title = checked_text(title, "督查名称", limit=TITLE_LIMIT)
    notes = checked_text(notes, "督查记录", required=False)
    at = at or now()
    if held_on > local_date(at):
        raise SupervisionError("督查日期不能晚于今天")
    with write_transaction():
        if plan_id is not None and not Plan.select().where(Plan.id == plan_id).exists():
            raise SupervisionError("没有这个方案")
        row = Inspection.create(
            plan=plan_id, title=title, held_on=held_on, notes=notes, created_by=scope.user_id, created_at=at
        )
        audit.record(
            scope.username,
            "inspection.create",
            "inspection",
            row.id,
            None,
            {"title": title, "held_on": held_on, "plan": plan_id, "notes": notes},
        )
    return row


def _event(finding: Finding, kind: str, scope: Scope, at: datetime, note: str, before: dict, after: dict):
    event = FindingEvent.create(finding=finding.id, kind=kind, by=scope.user_id, at=at, note=note)
    audit.record(
        scope.username,
        f"finding.{kind}",
        "finding",
        finding.id,
        before,
        {**after, "event": event.id, "note": note},
    )
    kind_of = {"open": "finding.opened", "answer": "finding.answered", "close": "finding.closed"}
    if kind in kind_of or kind == "reopen":
        data = {"finding": finding.id, "title": finding.title, "state": finding.state, "note": note}
        events.emit(kind_of.get(kind, "finding.reopened"), finding.unit_id, data, at=at)
    return event


def open_finding(
    scope: Scope,
    *,
    unit_id: int,
    title: str,
    rectify_by: date,
    detail: str = "",
    severity: str = "general",
    public: bool = False,
    detail_public: bool = False,
    plan_id: int | None = None,
    measure_id: int | None = None,
    inspection_id: int | None = None,
    at: datetime | None = None,
) -> Finding:
    """Record a problem in the ledger (问题台账) against a unit and, where there is one, a measure the
    unit is assigned to, with a rectification deadline, a severity and what may be published."""
    require_office(scope, "open finding")
    scope.check_write_unit(unit_id)  # a county's office records findings in its county only
    at = at or now()
    title = checked_text(title, "问题摘要", limit=TITLE_LIMIT)
    detail = checked_text(detail, "问题详情", required=False)
    if severity not in SEVERITY_LABELS:
        raise SupervisionError("问题等级只能是一般、较重或严重")
    if rectify_by < local_date(at):
        raise SupervisionError("整改时限不能早于今天")
    if detail_public and not public:
        raise SupervisionError("问题摘要不公开时，详情也不能公开")
    with write_transaction():
        unit = Unit.get_or_none(Unit.id == unit_id)
        if unit is None:
            raise SupervisionError("没有这个单位")
        inspection = None
        if inspection_id is not None:
            inspection = Inspection.get_or_none(Inspection.id == inspection_id)
            if inspection is None:
                raise SupervisionError("没有这次督查")
            plan_id = plan_id or inspection.plan_id
        if measure_id is not None:
            measure = Measure.get_or_none(Measure.id == measure_id)
            if measure is None or measure.archived_at is not None:
                raise SupervisionError("没有这项措施")
            if plan_id is not None and measure.plan_id != plan_id:
                raise SupervisionError("该措施不属于所选方案")
            plan_id = measure.plan_id
            assigned = Assignment.active().where(Assignment.measure == measure.id, Assignment.unit == unit.id)
            if not assigned.exists():
                raise SupervisionError(f"{unit.label}不承担措施 {measure.code}，请核对单位或措施")
        elif plan_id is not None:
            in_plan = (
                Assignment.active().join(Measure).where(Measure.plan == plan_id, Assignment.unit == unit.id)
            )
            if not in_plan.exists():
                raise SupervisionError(f"{unit.label}在该方案中没有分工")
        row = Finding.create(
            plan=plan_id,
            inspection=inspection.id if inspection else None,
            unit=unit.id,
            measure=measure_id,
            title=title,
            detail=detail,
            severity=severity,
            public=public,
            detail_public=detail_public,
            rectify_by=rectify_by,
            state="open",
            created_by=scope.user_id,
            created_at=at,
        )
        _event(
            row,
            "open",
            scope,
            at,
            "",
            None,
            {
                "state": "open",
                "unit": unit.id,
                "plan": plan_id,
                "measure": measure_id,
                "inspection": row.inspection_id,
                "title": title,
                "rectify_by": rectify_by,
                "severity": severity,
                "public": public,
                "detail_public": detail_public,
            },
        )
    return row


def default_office_name(plan: Plan | None = None) -> str:
    """The issuer printed on rectification lists: the `office_name` setting, else the place of the plan's
    issuer followed by 督查室 (e.g. 旬邑县督查室), else 督查室."""
    stored = Setting.get_or_none(Setting.key == OFFICE_NAME_SETTING)
    if stored and stored.value.strip():
        return stored.value.strip()
    source = ((plan.issuer or "") if plan else "").removeprefix("中共")
    match = re.match(r"(.{2,6}?(?:市|县|区|州|盟|旗))", source)
    return f"{match.group(1)}督查室" if match else "督查室"


def _next_doc_number(year: int) -> str:
    prefix = f"督整〔{year}〕"
    used = [
        int(m.group(1))
        for (number,) in RectificationList.select(RectificationList.doc_number)
        .where(RectificationList.doc_number.startswith(prefix))
        .tuples()
        if number and (m := re.fullmatch(re.escape(prefix) + r"(\d+)号", number))
    ]
    return f"{prefix}{max(used, default=0) + 1}号"


def create_rectification_list(
    scope: Scope,
    *,
    unit_id: int,
    finding_ids: Sequence[int],
    title: str = "",
    doc_number: str = "",
    body: str = "",
    at: datetime | None = None,
) -> RectificationList:
    """Send findings to their unit as a rectification list (整改清单): every finding must be the unit's
    and not closed; each gets a 'send' step in its history. The 文号 is numbered per year when blank."""
    require_office(scope, "create rectification list")
    scope.check_write_unit(unit_id)
    at = at or now()
    ids = sorted(set(finding_ids))
    if not ids:
        raise SupervisionError("请至少选择一个问题")
    title = checked_text(title, "清单标题", required=False, limit=TITLE_LIMIT)
    doc_number = checked_text(doc_number, "文号", required=False, limit=100)
    body = checked_text(body, "正文", required=False)
    with write_transaction():
        unit = Unit.get_or_none(Unit.id == unit_id)
        if unit is None:
            raise SupervisionError("没有这个单位")
        findings = list(Finding.select().where(Finding.id.in_(ids)).order_by(Finding.id))
        if len(findings) != len(ids):
            raise SupervisionError("所选问题有的不存在")
        other = [f for f in findings if f.unit_id != unit.id]
        if other:
            raise SupervisionError(f"问题 #{other[0].id} 不是{unit.label}的问题，不能放进同一份清单")
        closed = [f for f in findings if f.state == "closed"]
        if closed:
            raise SupervisionError(f"问题 #{closed[0].id} 已销号，无需再下发")
        plans = {f.plan_id for f in findings}
        plan_id = plans.pop() if len(plans) == 1 else None
        plan = Plan.get_or_none(Plan.id == plan_id) if plan_id else None
        row = RectificationList.create(
            unit=unit.id,
            plan=plan_id,
            title=title or f"关于{unit.label}督查发现问题的整改清单",
            doc_number=doc_number or _next_doc_number(local_date(at).year),
            body=body
            or (
                f"{unit.name}:\n"
                f"根据{default_office_name(plan)}督查情况，现将发现的问题清单交你单位，"
                "请对照清单逐项整改，在整改时限前通过系统报送整改情况和佐证材料，逾期未整改的将予以通报。"
            ),
            issued_by=scope.user_id,
            issued_at=at,
        )
        audit.record(
            scope.username,
            "rectification_list.create",
            "rectification_list",
            row.id,
            None,
            {"unit": unit.id, "title": row.title, "doc_number": row.doc_number, "findings": ids},
        )
        for f in findings:
            before = {"rectification_list": f.rectification_list_id}
            f.rectification_list = row.id
            f.save()
            _event(
                f, "send", scope, at, f"{row.doc_number} {row.title}", before, {"rectification_list": row.id}
            )
    return row


def withdraw_rectification_list(
    scope: Scope, list_id: int, reason: str, at: datetime | None = None
) -> RectificationList:
    """The office withdraws (作废) a list the unit has not answered yet: its findings go back to the
    pile waiting for a list, and the list stays in the ledger with its 文号, marked 作废."""
    require_office(scope, "withdraw rectification list")
    at = at or now()
    reason = checked_text(reason, "作废理由", limit=500)
    with write_transaction():
        row = scope.rectification_list(list_id)
        if row.withdrawn_at is not None:
            raise SupervisionError(f"整改清单 {row.doc_number} 已于 {local_date(row.withdrawn_at)} 作废")
        findings = list(Finding.select().where(Finding.rectification_list == row.id).order_by(Finding.id))
        answered = [f for f in findings if f.state != "open"]
        if answered:
            raise SupervisionError(f"单位已就“{answered[0].title}”反馈整改情况，清单不能再作废")
        row.withdrawn_at, row.withdrawn_by, row.withdraw_reason = at, scope.user_id, reason
        row.withdrawn_findings = [f.id for f in findings]
        row.save()
        audit.record(
            scope.username,
            "rectification_list.withdraw",
            "rectification_list",
            row.id,
            {"withdrawn_at": None},
            {"doc_number": row.doc_number, "reason": reason, "findings": row.withdrawn_findings},
        )
        for f in findings:
            f.rectification_list = None
            f.save()
            _event(
                f,
                "withdraw",
                scope,
                at,
                f"{row.doc_number} 作废：{reason}",
                {"rectification_list": row.id},
                {"rectification_list": None},
            )
    return row


def answer_finding(
    scope: Scope,
    finding_id: int,
    note: str,
    files: Sequence = (),
    upload_dir: str | os.PathLike | None = None,
    at: datetime | None = None,
) -> FindingEvent:
    """The unit reports how it fixed its finding (整改情况), with evidence files already checked by
    `evidence.check_upload`. Only the finding's own unit (or the office, recording a reply received
    on paper) answers; a closed finding takes no answer. The finding then waits for the office."""
    from tracker.services import evidence as evidence_service

    at = at or now()
    note = checked_text(note, "整改情况")
    if files and upload_dir is None:
        raise SupervisionError("没有配置佐证材料的保存位置")
    if len(files) > evidence_service.MAX_FILES:
        raise SupervisionError(f"一次最多上传 {evidence_service.MAX_FILES} 个文件")
    written: list[Path] = []
    try:
        with write_transaction():
            finding = scope.finding(finding_id, write=True)
            if finding.state == "closed":
                raise SupervisionError("该问题已销号，如需补充请联系督查室")
            before = {"state": finding.state}
            finding.state = "answered"
            finding.save()
            event = _event(
                finding, "answer", scope, at, note, before, {"state": "answered", "files": len(files)}
            )
            for checked in files:
                row, path = evidence_service.store(upload_dir, checked, None, finding.unit_id, scope.user_id)
                written.append(path)
                row.finding_event = event.id
                row.save()
                audit.record(
                    scope.username,
                    "evidence.upload",
                    "evidence",
                    row.id,
                    None,
                    {
                        "finding": finding.id,
                        "event": event.id,
                        "name": row.original_name,
                        "sha256": row.sha256,
                        "size": row.size,
                    },
                )
    except BaseException:
        for path in written:  # the rows rolled back; so do the files
            path.unlink(missing_ok=True)
        raise
    evidence_service.settle(written)  # committed: the files take their names
    return event


def close_finding(scope: Scope, finding_id: int, note: str, at: datetime | None = None) -> FindingEvent:
    """The office closes (销号) a finding after checking the unit's answer; the note records the check."""
    require_office(scope, f"close finding {finding_id}")
    at = at or now()
    note = checked_text(note, "核查意见")
    with write_transaction():
        finding = scope.finding(finding_id)
        if finding.state == "closed":
            raise SupervisionError("该问题已经销号")
        if finding.state != "answered":
            raise SupervisionError("单位尚未反馈整改情况，不能销号")
        before = {"state": finding.state}
        finding.state, finding.closed_at = "closed", at
        finding.save()
        return _event(finding, "close", scope, at, note, before, {"state": "closed"})


def reopen_finding(scope: Scope, finding_id: int, note: str, at: datetime | None = None) -> FindingEvent:
    """The office reopens a closed finding, or sends an answer back as not good enough; the finding is
    open again (and its rectification deadline counts again) until the office closes it."""
    require_office(scope, f"reopen finding {finding_id}")
    at = at or now()
    note = checked_text(note, "重新打开的理由")
    with write_transaction():
        finding = scope.finding(finding_id)
        if finding.state == "open":
            raise SupervisionError("该问题正在整改中，无需重新打开")
        before = {"state": finding.state}
        finding.state, finding.closed_at = "open", None
        finding.save()
        return _event(finding, "reopen", scope, at, note, before, {"state": "open"})


@dataclass(frozen=True)
class FindingRow:
    finding: Finding
    unit_label: str
    plan_code: str | None
    measure_code: str | None
    list_number: str | None
    overdue: bool
    age_days: int

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.finding.state]

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.finding.severity, self.finding.severity)


def _finding_rows(query, as_of: datetime) -> list[FindingRow]:
    today = local_date(as_of)
    return [
        FindingRow(
            f,
            f.unit.label,
            f.plan.code if f.plan_id else None,
            f.measure.code if f.measure_id else None,
            f.rectification_list.doc_number if f.rectification_list_id else None,
            f.state != "closed" and f.rectify_by < today,
            (today - local_date(f.created_at)).days,
        )
        for f in query
    ]


def _finding_query():
    return (
        Finding.select(Finding, Unit, Plan, Measure, RectificationList)
        .join(Unit, on=(Finding.unit == Unit.id))
        .switch(Finding)
        .join(Plan, JOIN.LEFT_OUTER, on=(Finding.plan == Plan.id))
        .switch(Finding)
        .join(Measure, JOIN.LEFT_OUTER, on=(Finding.measure == Measure.id))
        .switch(Finding)
        .join(RectificationList, JOIN.LEFT_OUTER, on=(Finding.rectification_list == RectificationList.id))
    )


def finding_ledger(
    scope: Scope,
    *,
    state: str | None = None,
    unit_id: int | None = None,
    plan_id: int | None = None,
    severity: str | None = None,
    overdue: bool = False,
    unlisted: bool = False,
    inspection_id: int | None = None,
    as_of: datetime | None = None,
) -> list[FindingRow]:
    """The ledger (问题台账) the person may read, narrowed by state, unit, plan, severity, inspection,
    overdue (not closed and past its rectification deadline) or not yet on a rectification list;
    the most urgent deadline first, closed ones last."""
    as_of = as_of or now()
    query = scope.restrict(_finding_query(), Finding.unit).where(Finding.created_at <= as_of)
    if state:
        query = query.where(Finding.state == state)
    if unit_id:
        query = query.where(Finding.unit == unit_id)
    if plan_id:
        query = query.where(Finding.plan == plan_id)
    if severity:
        query = query.where(Finding.severity == severity)
    if inspection_id:
        query = query.where(Finding.inspection == inspection_id)
    if overdue:
        query = query.where(Finding.state != "closed", Finding.rectify_by < local_date(as_of))
    if unlisted:
        query = query.where(Finding.rectification_list.is_null(), Finding.state != "closed")
    query = query.order_by(pw.Case(None, [(Finding.state == "closed", 1)], 0), Finding.rectify_by, Finding.id)
    return _finding_rows(query, as_of)


@dataclass(frozen=True)
class EventLine:
    event: FindingEvent
    by: str
    evidence: tuple[Evidence, ...]

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.event.kind, self.event.kind)


@dataclass(frozen=True)
class FindingDetail:
    row: FindingRow
    inspection: Inspection | None
    events: tuple[EventLine, ...]  # oldest first

    @property
    def finding(self) -> Finding:
        return self.row.finding


def finding_detail(scope: Scope, finding_id: int, as_of: datetime | None = None) -> FindingDetail:
    """One finding with every step of its history and the evidence of each answer."""
    as_of = as_of or now()
    scope.finding(finding_id)
    row = _finding_rows(_finding_query().where(Finding.id == finding_id), as_of)[0]
    events = list(
        FindingEvent.select()
        .where(FindingEvent.finding == finding_id)
        .order_by(FindingEvent.at, FindingEvent.id)
    )
    evidence: dict[int, list[Evidence]] = {}
    for e in (
        Evidence.select()
        .where(Evidence.finding_event.in_([e.id for e in events] or [0]))
        .order_by(Evidence.id)
    ):
        evidence.setdefault(e.finding_event_id, []).append(e)
    names = user_names(e.by_id for e in events)
    inspection = (
        Inspection.get_or_none(Inspection.id == row.finding.inspection_id)
        if row.finding.inspection_id
        else None
    )
    return FindingDetail(
        row,
        inspection,
        tuple(EventLine(e, names.get(e.by_id, "?"), tuple(evidence.get(e.id, ()))) for e in events),
    )


@dataclass(frozen=True)
class InspectionRow:
    inspection: Inspection
    plan_code: str | None
    findings: int
    open: int


def inspections(plan_id: int | None = None) -> list[InspectionRow]:
    """Every inspection, newest first, with how many findings it raised and how many are still open."""
    query = (
        Inspection.select(Inspection, Plan)
        .join(Plan, JOIN.LEFT_OUTER)
        .order_by(Inspection.held_on.desc(), Inspection.id.desc())
    )
    if plan_id:
        query = query.where(Inspection.plan == plan_id)
    rows = list(query)
    counts = Counter()
    open_counts = Counter()
    for f in Finding.select(Finding.inspection, Finding.state).where(
        Finding.inspection.in_([i.id for i in rows] or [0])
    ):
        counts[f.inspection_id] += 1
        open_counts[f.inspection_id] += f.state != "closed"
    return [
        InspectionRow(i, i.plan.code if i.plan_id else None, counts[i.id], open_counts[i.id]) for i in rows
    ]


def inspection(inspection_id: int) -> Inspection:
    row = Inspection.get_or_none(Inspection.id == inspection_id)
    if row is None:
        raise OutOfScope(f"inspection {inspection_id}")
    return row


@dataclass(frozen=True)
class ListRow:
    rectification_list: RectificationList
    unit_label: str
    findings: int
    open: int
    closed: int


def rectification_lists(scope: Scope, unit_id: int | None = None) -> list[ListRow]:
    """The rectification lists the person may read, newest first, with how far their findings are."""
    query = scope.restrict(
        RectificationList.select(RectificationList, Unit).join(Unit, on=(RectificationList.unit == Unit.id)),
        RectificationList.unit,
    ).order_by(RectificationList.issued_at.desc(), RectificationList.id.desc())
    if unit_id:
        query = query.where(RectificationList.unit == unit_id)
    rows = list(query)
    total, closed = Counter(), Counter()
    for f in Finding.select(Finding.rectification_list, Finding.state).where(
        Finding.rectification_list.in_([r.id for r in rows] or [0])
    ):
        total[f.rectification_list_id] += 1
        closed[f.rectification_list_id] += f.state == "closed"
    return [ListRow(r, r.unit.label, total[r.id], total[r.id] - closed[r.id], closed[r.id]) for r in rows]


@dataclass(frozen=True)
class ListDetail:
    rectification_list: RectificationList
    unit: Unit
    plan: Plan | None
    issuer: str
    findings: tuple[FindingRow, ...]


def rectification_list_detail(scope: Scope, list_id: int, as_of: datetime | None = None) -> ListDetail:
    """One rectification list with its findings in the order they were recorded."""
    row = scope.rectification_list(list_id)
    held = (
        Finding.id.in_(row.withdrawn_findings or [0])
        if row.withdrawn_at
        else Finding.rectification_list == row.id
    )
    rows = _finding_rows(_finding_query().where(held).order_by(Finding.id), as_of or now())
    plan = Plan.get_or_none(Plan.id == row.plan_id) if row.plan_id else None
    return ListDetail(row, row.unit, plan, default_office_name(plan), tuple(rows))
