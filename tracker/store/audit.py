"""The audit trail (留痕): append-only events, each sealed with the hash of the one before.

`record` must run inside the change's own write transaction, so a change and its event commit or
roll back together. `verify` walks the chain and names the first event that was changed, removed or
inserted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tracker.clock import now
from tracker.store.db import db
from tracker.store.models import AuditEvent

GENESIS = "0" * 64


def jsonable(value: Any) -> Any:
    """Plain JSON values for an event's before/after: dates as ISO text, sets as sorted lists."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    return value


def _digest(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    body = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": before,
        "after": after,
        "prev": prev_hash,
    }
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Change:
    """One event to append: what changed, on which entity, before and after."""

    action: str
    entity: str
    entity_id: Any = None
    before: Any = None
    after: Any = None


def record(
    actor: str, action: str, entity: str, entity_id: Any = None, before: Any = None, after: Any = None
) -> None:
    """Append one event to the chain. Call inside `write_transaction()`."""
    record_many(actor, [Change(action, entity, entity_id, before, after)])


def record_many(actor: str, changes: list[Change]) -> int:
    """Append events in order with one read of the chain's head and one insert (a bulk load's path)."""
    if not changes:
        return 0
    if not db.in_transaction():
        raise RuntimeError("audit events must be written inside the change's transaction")
    last = AuditEvent.select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    at = now()
    rows = []
    for c in changes:
        seq += 1
        before, after = jsonable(c.before), jsonable(c.after)
        entity_id = None if c.entity_id is None else str(c.entity_id)
        digest = _digest(seq, at, actor, c.action, c.entity, entity_id, before, after, prev)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": c.action,
                "entity": c.entity,
                "entity_id": entity_id,
                "before": before,
                "after": after,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    for start in range(0, len(rows), 500):  # SQLite caps the number of bound variables per statement
        AuditEvent.insert_many(rows[start : start + 500]).execute()
    return len(rows)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    message: str


def verify() -> VerifyResult:
    """Walk the chain in order; report the first event whose content, position or link is wrong."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for ev in AuditEvent.select().order_by(AuditEvent.seq).iterator():
        if ev.seq != expected_seq:
            return VerifyResult(False, checked, f"事件 #{expected_seq} 缺失(下一条是 #{ev.seq}):有事件被删除")
        if ev.prev_hash != prev_hash:
            return VerifyResult(False, checked, f"事件 #{ev.seq} 与前一条不衔接:有事件被插入、删除或改动")
        digest = _digest(
            ev.seq, ev.at, ev.actor, ev.action, ev.entity, ev.entity_id, ev.before, ev.after, ev.prev_hash
        )
        if digest != ev.hash:
            return VerifyResult(
                False, checked, f"事件 #{ev.seq}({ev.action} {ev.entity} {ev.entity_id})内容被改动"
            )
        prev_hash, expected_seq, checked = ev.hash, expected_seq + 1, checked + 1
    return VerifyResult(True, checked, f"审计链完整,共 {checked} 条事件")


def head() -> tuple[int, str] | None:
    """The chain's last event as (seq, hash), or None for an empty chain: noted in backups and
    publications so a later `tracker audit verify --head` catches a truncated or rolled-back chain."""
    last = AuditEvent.select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).first()
    return (last.seq, last.hash) if last else None
