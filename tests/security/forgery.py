"""What the pen tester did to the audit chain, shared by tests/security/test_audit_chain.py and
scripts/security/run.py: rewrite events and recompute every later hash, as anyone with write access
to the database could."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import as_dba
from tracker.store import audit
from tracker.store.db import db
from tracker.store.models import AuditEvent


def rewrite_from(seq: int, change: Callable[[list], list], key: bytes | None = None) -> None:
    """Change the chain from event `seq` on (`change` gets the events from there and returns the ones
    to write back) and recompute every later hash, with plain SHA-256 (key None) or a key of the
    intruder's own."""
    as_dba()
    events = list(AuditEvent.select().order_by(AuditEvent.seq))
    prev = events[seq - 2].hash if seq > 1 else audit.GENESIS
    kept = [e for e in events if e.seq < seq]
    tail = change([e for e in events if e.seq >= seq])
    with db.atomic():
        AuditEvent.delete().where(AuditEvent.seq >= seq).execute()
        for n, ev in enumerate(tail, start=len(kept) + 1):
            digest = audit._digest(
                n, ev.at, ev.actor, ev.action, ev.entity, ev.entity_id, ev.before, ev.after, prev, key
            )
            AuditEvent.insert(
                seq=n,
                at=ev.at,
                actor=ev.actor,
                action=ev.action,
                entity=ev.entity,
                entity_id=ev.entity_id,
                before=ev.before,
                after=ev.after,
                prev_hash=prev,
                hash=digest,
                key_id=ev.key_id if key is None else audit.key_id(key),
            ).execute()
            prev = digest


def change_and_delete(tail: list) -> list:
    """The pen test's case: the first event's actor changed, the third deleted."""
    tail[0].actor = "intruder"
    return [ev for n, ev in enumerate(tail) if n != 2]


def truncate_from(seq: int) -> None:
    """The tail cut, as when an old backup is restored."""
    as_dba()
    AuditEvent.delete().where(AuditEvent.seq >= seq).execute()
