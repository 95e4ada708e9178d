"""The audit trail (留痕): append-only events, each sealed with an HMAC over it and the one before.

`record` must run inside the change's own write transaction, so a change and its event commit or
roll back together. Each event's `hash` is HMAC-SHA256 under the audit key, which is kept outside
the database (`TRACKER_AUDIT_KEY`, else the file `instance/audit_key`, made owner-only on first
use): someone who can write to the database but cannot read the key cannot recompute a changed or
removed event's successors. Events of the first release (`key_id` empty) were sealed with plain
SHA-256; they still verify as they were, and the first keyed event (`audit.keyed`, appended by the
upgrade) seals their last hash, so they cannot be rewritten afterwards either.

The key cannot catch a chain cut back to an earlier head (a restored old backup, deleted tail): for
that the head (`head()`) is written outside the database, into the append-only anchors file after
each scheduler run, into every backup and publication; `verify` checks the anchors file and a head
given on the command line (`tracker audit verify --head SEQ:HASH`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tracker.clock import now
from tracker.store import hot
from tracker.store.db import db
from tracker.store.models import AuditEvent

GENESIS = "0" * 64
KEYED_ACTION = "audit.keyed"


class AuditKeyMissing(RuntimeError):
    """The chain holds keyed events but no key is available to check them."""


def instance_dir() -> Path:
    return Path(os.environ.get("TRACKER_INSTANCE", "instance"))


def key_path() -> Path:
    return Path(os.environ.get("TRACKER_AUDIT_KEY_FILE") or instance_dir() / "audit_key")


def anchors_path() -> Path:
    return Path(os.environ.get("TRACKER_AUDIT_ANCHORS") or instance_dir() / "audit_anchors")


def audit_key(create: bool = True) -> bytes | None:
    """TRACKER_AUDIT_KEY, else the key file (made with a random key, mode 600, when `create`)."""
    value = os.environ.get("TRACKER_AUDIT_KEY")
    if value:
        return value.encode("utf-8")
    path = key_path()
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
    seen = path.stat()
    return _key_file(str(path), seen.st_ino, seen.st_mtime_ns, seen.st_size)


# Read once per version of the file: every saved change seals an event (a file read per report POST).
@functools.lru_cache(maxsize=4)
def _key_file(path: str, inode: int, mtime_ns: int, size: int) -> bytes:
    return Path(path).read_text("utf-8").strip().encode("utf-8")


def key_id(key: bytes) -> str:
    """A short name for a key, stored with each event: which key sealed it, never the key itself."""
    return hashlib.sha256(b"tracker-audit-key:" + key).hexdigest()[:16]


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
    key: bytes | None = None,
) -> str:
    """The seal of one event: HMAC-SHA256 under `key`, or the first release's plain SHA-256."""
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
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    if key is None:
        return hashlib.sha256(text).hexdigest()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


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


_READ = object()


def record_many(actor: str, changes: list[Change], head=_READ, along=None) -> int:
    """Append events in order with one read of the chain's head and one insert (a bulk load's path).
    `head` is the chain's (seq, hash) or None for an empty chain, when the caller already read it
    under this transaction's write lock (a report's save reads it with everything else). `along`:
    the changed row, its id already taken, to insert in the same round trip (PostgreSQL)."""
    if not changes:
        return 0
    if not db.in_transaction():
        raise RuntimeError("audit events must be written inside the change's transaction")
    if head is _READ:
        last = AuditEvent.select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).first()
        head = (last.seq, last.hash) if last else None
    seq, prev = head if head is not None else (0, GENESIS)
    key = audit_key()
    kid = key_id(key)
    at = now()
    rows = []
    for c in changes:
        seq += 1
        before, after = jsonable(c.before), jsonable(c.after)
        entity_id = None if c.entity_id is None else str(c.entity_id)
        digest = _digest(seq, at, actor, c.action, c.entity, entity_id, before, after, prev, key)
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
                "key_id": kid,
            }
        )
        prev = digest
    for start in range(0, len(rows), 500):  # SQLite caps the number of bound variables per statement
        hot.insert_many(AuditEvent, rows[start : start + 500], along=along if start == 0 else None)
    return len(rows)


def head() -> tuple[int, str] | None:
    """The last event's seq and hash (None for an empty chain): what backups, publications and the
    anchors file record, and what `verify --head` checks later."""
    last = AuditEvent.select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).first()
    return (last.seq, last.hash) if last else None


def head_text(value: tuple[int, str] | None = None) -> str | None:
    """`SEQ:HASH`, as `verify --head` takes it."""
    value = value if value is not None else head()
    return f"{value[0]}:{value[1]}" if value else None


def parse_head(text: str) -> tuple[int, str]:
    seq, _, digest = text.strip().lstrip("#").partition(":")
    digest = digest.strip().lower()
    if not seq.strip().isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"{text!r} 不是 SEQ:HASH(如 1234:9f86d0…,64 位十六进制)")
    return int(seq), digest


def write_anchor(when: datetime | None = None) -> tuple[int, str] | None:
    """Append the head to the anchors file (owner-only, append-only) when it moved since the last line."""
    current = head()
    if current is None:
        return None
    path = anchors_path()
    anchors = read_anchors(path)
    if anchors and anchors[-1][1:] == current:
        return current
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(f"{(when or now()).isoformat(timespec='seconds')} {current[0]}:{current[1]}\n")
        fh.flush()
        os.fsync(fh.fileno())
    return current


def read_anchors(path: Path | None = None) -> list[tuple[str, int, str]]:
    """(when, seq, hash) of every well-formed line of the anchors file."""
    path = path or anchors_path()
    if not path.exists():
        return []
    out = []
    for line in path.read_text("utf-8").splitlines():
        when, _, value = line.strip().rpartition(" ")
        try:
            seq, digest = parse_head(value)
        except ValueError:
            continue
        out.append((when, seq, digest))
    return out


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    message: str


def verify(heads: list[tuple[int, str]] = (), anchors: bool = True) -> VerifyResult:
    """Walk the chain in order; report the first event whose content, position, link or key is wrong,
    then any head given (or anchored) that the chain no longer holds."""
    key = audit_key(create=False)
    kid = key_id(key) if key else None
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    legacy = keyed = 0
    held: dict[int, str] = {}
    wanted = {seq for seq, _ in heads}
    anchored = read_anchors() if anchors else []
    wanted |= {seq for _, seq, _ in anchored}
    for ev in AuditEvent.select().order_by(AuditEvent.seq).iterator():
        if ev.seq != expected_seq:
            return VerifyResult(False, checked, f"事件 #{expected_seq} 缺失(下一条是 #{ev.seq}):有事件被删除")
        if ev.prev_hash != prev_hash:
            return VerifyResult(False, checked, f"事件 #{ev.seq} 与前一条不衔接:有事件被插入、删除或改动")
        if ev.key_id is None:
            if keyed:
                return VerifyResult(
                    False, checked, f"事件 #{ev.seq} 没有密钥签名,却在签名事件之后:是插入或改写的"
                )
            legacy += 1
            use = None
        else:
            if key is None:
                return VerifyResult(
                    False, checked, "找不到审计密钥(TRACKER_AUDIT_KEY 或 instance/audit_key),无法校验签名事件"
                )
            if ev.key_id != kid:
                return VerifyResult(
                    False, checked, f"事件 #{ev.seq} 由另一把密钥签名({ev.key_id}):密钥不符或被伪造"
                )
            if (
                not keyed
                and legacy
                and (ev.action != KEYED_ACTION or (ev.after or {}).get("legacy_events") != legacy)
            ):
                return VerifyResult(False, checked, f"事件 #{ev.seq}:旧版未签名事件之后缺少升级记录,链被改写")
            keyed += 1
            use = key
        digest = _digest(
            ev.seq,
            ev.at,
            ev.actor,
            ev.action,
            ev.entity,
            ev.entity_id,
            ev.before,
            ev.after,
            ev.prev_hash,
            use,
        )
        if not hmac.compare_digest(digest, ev.hash):
            return VerifyResult(
                False, checked, f"事件 #{ev.seq}({ev.action} {ev.entity} {ev.entity_id})内容被改动"
            )
        if ev.seq in wanted:
            held[ev.seq] = ev.hash
        prev_hash, expected_seq, checked = ev.hash, expected_seq + 1, checked + 1
    if legacy and not keyed and _keyed_schema():
        return VerifyResult(False, checked, "审计链没有任何签名事件:升级后的数据库必有,链被整体改写")
    for seq, digest in heads:
        if held.get(seq) != digest:
            found = "已不在链中:链被截断或回滚" if seq not in held else "与链中的不同:链被改写"
            return VerifyResult(False, checked, f"给定的 head #{seq} {found}")
    for when, seq, digest in anchored:
        if held.get(seq) != digest:
            found = "已不在链中:链被截断或回滚" if seq not in held else "与链中的不同:链被改写"
            return VerifyResult(False, checked, f"锚点文件中 {when} 记录的 head #{seq} {found}")
    extra = f",与 {len(anchored)} 个锚点一致" if anchored else ""
    return VerifyResult(True, checked, f"审计链完整,共 {checked} 条事件{extra}")


@contextlib.contextmanager
def guard_lifted():
    """Inside a write transaction: PostgreSQL's append-only trigger off until it ends (a `restore
    --force` replacing the whole database, run by the table's owner). Audited by the caller."""
    from tracker.store.db import is_postgres

    if not is_postgres():
        yield
        return
    db.execute_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    try:
        yield
    finally:
        db.execute_sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")


def _keyed_schema() -> bool:
    # A database upgraded past the keying migration has at least its `audit.keyed` event.
    from tracker.store.migrations import KEYED_VERSION, applied_versions

    return KEYED_VERSION in applied_versions()


def seal_legacy_chain() -> None:
    """Append the `audit.keyed` event that seals a first-release chain under the key (the upgrade's step)."""
    legacy = AuditEvent.select().where(AuditEvent.key_id.is_null()).count()
    if legacy and not AuditEvent.select().where(AuditEvent.key_id.is_null(False)).exists():
        record(
            "system", KEYED_ACTION, "audit", None, None, {"legacy_events": legacy, "legacy_head": head_text()}
        )
