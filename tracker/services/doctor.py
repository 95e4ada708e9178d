"""`tracker doctor`: one check of everything that must hold between the database and the disk.

Database integrity (SQLite's integrity and foreign-key checks; PostgreSQL answering), every evidence
file against its SHA-256, files in the upload folder that no row lists (orphans of a crash between
the file write and the commit, or half files of a full disk), and the audit chain. Orphans older than
an hour are removed (younger ones may belong to a save in progress); a committed row whose file still
has its temporary name gets it moved into place.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from tracker.services.backup import upload_dir, verify_evidence
from tracker.services.evidence import PARTIAL, final_path
from tracker.store.db import db, is_postgres
from tracker.store.models import Evidence

GRACE = 3600  # seconds: a younger unlisted file may be a save that has not committed yet
STORED = re.compile(r"^[0-9a-f]{40}$")
PARTIAL_NAME = re.compile(r"^\.([0-9a-f]{40})" + re.escape(PARTIAL) + "$")


@dataclass
class Report:
    ok: bool = True
    lines: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def bad(self, line: str) -> None:
        self.ok = False
        self.lines.append("✗ " + line)

    def good(self, line: str) -> None:
        self.lines.append("✓ " + line)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_database(report: Report) -> None:
    if is_postgres():
        db.execute_sql("SELECT 1")
        report.good("数据库(PostgreSQL)连接正常")
        return
    result = [r[0] for r in db.execute_sql("PRAGMA integrity_check").fetchall()]
    if result != ["ok"]:
        report.bad("数据库文件损坏:" + "; ".join(result[:5]))
    keys = db.execute_sql("PRAGMA foreign_key_check").fetchall()
    if keys:
        report.bad(f"数据库中有 {len(keys)} 行引用了不存在的记录(外键),如 {keys[0][0]} 表第 {keys[0][1]} 行")
    if result == ["ok"] and not keys:
        report.good("数据库(SQLite)完整性检查通过")


def check_evidence(report: Report, uploads: Path, now: float | None = None) -> None:
    now = now or time.time()
    names = {r.stored_name: r for r in Evidence.select(Evidence.id, Evidence.stored_name, Evidence.sha256)}
    # A committed row whose file kept its temporary name (a crash after the commit): move it in place.
    for partial in sorted(uploads.glob(f".*{PARTIAL}")) if uploads.is_dir() else []:
        match = PARTIAL_NAME.match(partial.name)
        row = names.get(match.group(1)) if match else None
        final = final_path(partial)
        if row is not None and not final.exists() and _sha256(partial) == row.sha256:
            os.replace(partial, final)
            report.lines.append(f"· 佐证材料 #{row.id} 的文件在提交后未改名,已移到位")
    problems = verify_evidence(uploads)
    for line in problems:
        report.bad(line)
    if not problems:
        report.good(f"佐证材料 {len(names)} 个,文件齐全且与 SHA-256 一致")
    orphans, young = [], 0
    for path in sorted(uploads.iterdir()) if uploads.is_dir() else []:
        if not path.is_file():
            continue  # plans/ and notices/ keep their own staging
        listed = STORED.match(path.name) and path.name in names
        ours = STORED.match(path.name) or PARTIAL_NAME.match(path.name)
        if listed or not ours:
            continue
        if now - path.stat().st_mtime < GRACE:
            young += 1
            continue
        orphans.append(path)
    for path in orphans:
        path.unlink(missing_ok=True)
        report.removed.append(path.name)
    if orphans:
        report.lines.append(f"· 删除了 {len(orphans)} 个没有记录的佐证材料文件(崩溃或磁盘写满留下的)")
    else:
        report.good("没有孤立的佐证材料文件")
    if young:
        report.lines.append(f"· {young} 个新近写入、尚无记录的文件暂不处理(可能是正在保存的报送)")


def check_audit(report: Report) -> None:
    from tracker.services.admin import check_audit_chain

    chain = check_audit_chain()
    if chain.ok:
        head = f",最新一条 #{chain.head[0]} {chain.head[1][:16]}…" if chain.head else ""
        report.good(f"{chain.message}{head}")
    else:
        report.bad(f"审计链校验失败:{chain.message}")


def run(uploads: str | os.PathLike | None = None, now: float | None = None) -> Report:
    report = Report()
    folder = Path(uploads) if uploads is not None else upload_dir()
    check_database(report)
    check_evidence(report, folder, now)
    check_audit(report)
    return report


def rebuild_ledger(actor: str = "doctor") -> list[str]:
    """Recompute the report ledger and its change rows from the revisions, in one transaction with
    its audit event; what it did, one Chinese line each."""
    from tracker.services import ledger
    from tracker.store import audit
    from tracker.store.db import write_transaction
    from tracker.store.models import ReportLedger, ReportLedgerChange

    with write_transaction():
        before = {"reports": ReportLedger.select().count(), "changes": ReportLedgerChange.select().count()}
        done = ledger.rebuild()
        after = {"reports": done.reports, "changes": done.changes}
        audit.record(actor, "ledger.rebuild", "report_ledger", None, before, after)
    return [
        f"报送台账已按报送版本重算:{done.reports} 份报送,变动记录 {done.changes} 条"
        f"(重算前 {before['reports']} 份、{before['changes']} 条)",
    ]
