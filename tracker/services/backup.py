"""`tracker backup` and `tracker restore`: one zip holding the database, every evidence file and a manifest.

The database is written in a logical format (one JSON line per row, table by table) read inside one
snapshot transaction, so a backup taken while the app serves is consistent and includes what SQLite
still holds in its WAL; the same format restores into SQLite or PostgreSQL, which is how a county
moves from one to the other. The manifest lists every member with its SHA-256, the schema version
and the audit chain's head; restore checks all of them before it writes anything, and writes all or
nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import peewee as pw

from tracker.clock import TZ
from tracker.clock import now as clock_now
from tracker.services import ledger
from tracker.store import audit, models
from tracker.store.db import db, is_postgres, sync_sequences, write_transaction
from tracker.store.migrations import current_version, latest_version, upgrade

FORMAT = "tracker-backup/1"
MANIFEST = "manifest.json"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why, in Chinese."""


def upload_dir() -> Path:
    """Where the app keeps evidence files: TRACKER_INSTANCE/uploads (the app's UPLOAD_DIR)."""
    return Path(os.environ.get("TRACKER_INSTANCE", "instance")) / "uploads"


def _tables() -> list[type[pw.Model]]:
    # The report ledger is derived from the revisions: a restore rebuilds it rather than copying it.
    derived = (models.ReportLedger, models.ReportLedgerChange)
    return pw.sort_models([m for m in models.MODELS if m not in derived])


def _plain(field: pw.Field, value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _typed(field: pw.Field, value):
    if value is None:
        return None
    if isinstance(field, pw.DateTimeField):
        return datetime.fromisoformat(value)
    if isinstance(field, pw.DateField):
        return date.fromisoformat(value)
    return value


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    missing: list[str] = field(default_factory=list)


def _snapshot():
    """A read transaction that sees one moment of the database, without blocking writers."""
    if is_postgres():
        txn = db.atomic()
        txn.__enter__()
        db.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return txn
    txn = db.atomic(lock_type="DEFERRED")  # WAL: readers see a snapshot and never wait for writers
    txn.__enter__()
    return txn


def _rows(model: type[pw.Model]) -> Iterator[dict]:
    fields = model._meta.sorted_fields
    order = [f for f in fields if f.primary_key] or fields[:1]
    for row in model.select().order_by(*order).dicts().iterator():
        yield {f.name: _plain(f, row[f.name]) for f in fields}


def _line(row: dict) -> bytes:
    return (json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def backup(target: str | os.PathLike, uploads: str | os.PathLike | None = None) -> BackupResult:
    """Write a backup zip to `target` (via a temporary name, so a half-written file never looks whole)."""
    if current_version() is None:
        raise BackupError("数据库尚未建表:先运行 tracker init。")
    target = Path(target)
    uploads = Path(uploads) if uploads is not None else upload_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    manifest: dict = {
        "format": FORMAT,
        "created_at": clock_now().astimezone(TZ).isoformat(timespec="seconds"),
        "database": "postgresql" if is_postgres() else "sqlite",
        "tables": {},
        "evidence": {},
    }
    missing: list[str] = []
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            txn = _snapshot()
            try:
                manifest["schema_version"] = current_version()
                head = audit.head()
                manifest["audit_head"] = {"seq": head[0], "hash": head[1]} if head else None
                for model in _tables():
                    digest, count = hashlib.sha256(), 0
                    with archive.open(f"tables/{model._meta.table_name}.jsonl", "w", force_zip64=True) as out:
                        for row in _rows(model):
                            data = _line(row)
                            digest.update(data)
                            out.write(data)
                            count += 1
                    manifest["tables"][model._meta.table_name] = {"rows": count, "sha256": digest.hexdigest()}
                evidence = list(models.Evidence.select(models.Evidence.stored_name, models.Evidence.sha256))
            finally:
                txn.__exit__(None, None, None)
            # Evidence files are written once and never changed, so they can be copied after the snapshot.
            for row in evidence:
                source = uploads / row.stored_name
                if not source.is_file():
                    missing.append(row.stored_name)
                    continue
                digest = hashlib.sha256()
                with (
                    source.open("rb") as src,
                    archive.open(f"evidence/{row.stored_name}", "w", force_zip64=True) as out,
                ):
                    while chunk := src.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                manifest["evidence"][row.stored_name] = {"sha256": digest.hexdigest(), "expected": row.sha256}
            manifest["missing_evidence"] = missing
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(target, manifest, missing)


def read_manifest(path: str | os.PathLike) -> dict:
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BackupError(f"{path}: 不是 tracker 备份文件({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: 不认识的备份格式 {manifest.get('format')!r}")
    return manifest


def _check(archive: zipfile.ZipFile, manifest: dict) -> None:
    """Every member's SHA-256 as the manifest says, before anything is written."""
    for table, info in manifest["tables"].items():
        digest = hashlib.sha256()
        with archive.open(f"tables/{table}.jsonl") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != info["sha256"]:
            raise BackupError(f"备份已损坏:表 {table} 的 SHA-256 与清单不符")
    for name, info in manifest["evidence"].items():
        digest = hashlib.sha256()
        with archive.open(f"evidence/{name}") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != info["sha256"]:
            raise BackupError(f"备份已损坏:佐证材料 {name} 的 SHA-256 与清单不符")


def _is_empty() -> bool:
    if current_version() is None:
        return True
    return all(not m.select().exists() for m in _tables() if m is not models.SchemaVersion)


@dataclass
class RestoreResult:
    tables: dict[str, int]
    evidence: int
    audit_head: dict | None


def restore(
    source: str | os.PathLike, uploads: str | os.PathLike | None = None, force: bool = False
) -> RestoreResult:
    """Restore a backup into the connected database and the evidence folder, all or nothing.

    Refuses a database that holds rows, or an evidence folder with files, unless `force`: then the
    rows are replaced (the old evidence files are kept, as nothing is ever deleted).
    """
    manifest = read_manifest(source)
    uploads = Path(uploads) if uploads is not None else upload_dir()
    if manifest["schema_version"] > latest_version():
        raise BackupError(
            f"备份来自更新的版本(数据库结构版本 {manifest['schema_version']}),请先升级 tracker 再恢复"
        )
    upgrade()
    busy = [p.name for p in uploads.iterdir() if p.is_file()] if uploads.is_dir() else []
    if not force and (not _is_empty() or busy):
        where = "数据库已有数据" if not _is_empty() else f"佐证材料目录 {uploads} 已有文件"
        raise BackupError(f"拒绝恢复:{where}。恢复只写入空数据库;确需覆盖请加 --force。")
    counts: dict[str, int] = {}
    with zipfile.ZipFile(source) as archive:
        _check(archive, manifest)
        uploads.mkdir(parents=True, exist_ok=True, mode=0o700)
        written: list[Path] = []
        try:
            for name in manifest["evidence"]:
                final = uploads / name
                if final.exists():
                    continue
                partial = uploads / f".{name}.partial"
                with archive.open(f"evidence/{name}") as src, partial.open("wb") as out:
                    shutil.copyfileobj(src, out, CHUNK)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(partial, 0o600)
                partial.replace(final)
                written.append(final)
            # --force replaces the audit trail too: PostgreSQL's append-only trigger is off meanwhile.
            with write_transaction(), audit.guard_lifted() if force else contextlib.nullcontext():
                tables = _tables()
                if force:
                    for model in reversed(tables):
                        if model is not models.SchemaVersion:
                            loops = [f for f in model._meta.refs if f.rel_model is model and f.null]
                            if loops:  # a tree (sections) is cut into single rows first
                                model.update({f: None for f in loops}).execute()
                            model.delete().execute()
                for model in tables:
                    name = model._meta.table_name
                    if name not in manifest["tables"] or model is models.SchemaVersion:
                        continue
                    counts[name] = _load_table(archive, model)
                sync_sequences([m for m in tables if isinstance(m._meta.primary_key, pw.AutoField)])
                ledger.rebuild()
        except BaseException:
            for path in written:  # the database rolled back: no file it does not list stays behind
                path.unlink(missing_ok=True)
            raise
    return RestoreResult(counts, len(manifest["evidence"]), manifest.get("audit_head"))


def _load_table(archive: zipfile.ZipFile, model: type[pw.Model]) -> int:
    fields = model._meta.fields
    batch, count = [], 0
    size = max(1, 500 // max(1, len(fields)))  # SQLite caps the number of bound variables per statement
    with archive.open(f"tables/{model._meta.table_name}.jsonl") as fh:
        for raw in io.TextIOWrapper(fh, encoding="utf-8"):
            row = json.loads(raw)
            unknown = set(row) - set(fields)
            if unknown:
                raise BackupError(
                    f"备份中表 {model._meta.table_name} 有本版本没有的列:{', '.join(sorted(unknown))}"
                )
            batch.append({name: _typed(fields[name], value) for name, value in row.items()})
            if len(batch) >= size:
                model.insert_many(batch).execute()
                count += len(batch)
                batch = []
    if batch:
        model.insert_many(batch).execute()
        count += len(batch)
    return count


def verify_evidence(uploads: str | os.PathLike | None = None) -> list[str]:
    """Every evidence row's file against its SHA-256; one Chinese line per missing or changed file."""
    uploads = Path(uploads) if uploads is not None else upload_dir()
    problems = []
    for row in models.Evidence.select().order_by(models.Evidence.id).iterator():
        path = uploads / row.stored_name
        if not path.is_file():
            problems.append(f"佐证材料 #{row.id}({row.original_name})的文件缺失")
            continue
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != row.sha256:
            problems.append(f"佐证材料 #{row.id}({row.original_name})的内容与登记的 SHA-256 不符")
    return problems


# -- the nightly backup ---------------------------------------------------------------------------------


def nightly(folder: str | os.PathLike, keep: int, moment: datetime | None = None) -> tuple[Path, list[Path]]:
    """A backup named by its Beijing time into `folder`, keeping the newest `keep`; returns it and the
    ones removed."""
    folder = Path(folder)
    stamp = (moment or clock_now()).astimezone(TZ).strftime("%Y%m%d-%H%M%S")
    result = backup(folder / f"tracker-{stamp}.zip")
    kept = sorted(folder.glob("tracker-*.zip"))
    removed = kept[: max(0, len(kept) - max(keep, 1))]
    for old in removed:
        old.unlink(missing_ok=True)
    return result.path, removed
