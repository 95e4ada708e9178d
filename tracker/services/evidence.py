"""Evidence files (佐证材料): checked by content, stored outside the web root, served only in scope.

An upload is accepted only when its bytes are one of the kinds below, whatever its name says: a
renamed .exe or .html is refused. Word and Excel files are zips, so they are checked for zip bombs
(member count, total size, compression ratio), macros and XML entity declarations before anything
opens them. A stored file gets a random server-made name in the upload folder and its SHA-256 is
recorded; the original name is kept only to offer it back on download.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from tracker.clock import now
from tracker.ooxml import OfficeFileError, ZipLimits, office_zip_kind
from tracker.services import limits
from tracker.services.scoping import Scope
from tracker.store.models import Evidence, ReportRevision

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 10  # per save
MAX_TOTAL_BYTES = 20 * 1024 * 1024  # per save, as the app's request limit


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


KINDS = {
    k.name: k
    for k in (
        Kind("pdf", "PDF", "application/pdf", (".pdf",)),
        Kind("png", "PNG 图片", "image/png", (".png",)),
        Kind("jpeg", "JPEG 图片", "image/jpeg", (".jpg", ".jpeg")),
        Kind(
            "docx",
            "Word(.docx)",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        Kind(
            "xlsx",
            "Excel(.xlsx)",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
        ),
        Kind("txt", "纯文本", "text/plain; charset=utf-8", (".txt",)),
    )
}
ACCEPTED = "PDF、PNG、JPEG、Word(.docx)、Excel(.xlsx)或纯文本(.txt)"


# Evidence is smaller than a notice: tighter limits than the converter's, and a check that gives up
# (refusing the file) within 2 seconds.
ZIP_LIMITS = ZipLimits(
    max_total_uncompressed=40 * 1024 * 1024,
    max_member_uncompressed=20 * 1024 * 1024,
    max_ratio=100.0,
    ratio_floor=0,
    scan_budget=32 * 1024 * 1024,
    cpu_seconds=2,
    memory_bytes=512 * 1024 * 1024,
    timeout=2.0,
)
_MARKUP = re.compile(rb"^\s*(<!doctype|<html|<script|<svg|<\?xml|<body|<head|<iframe)", re.IGNORECASE)


class EvidenceError(ValueError):
    """An upload that is refused; the message says why, for the clerk."""


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, not yet stored."""

    original_name: str
    kind: Kind
    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _is_plain_text(data: bytes) -> bool:
    """UTF-8 text without control bytes or markup a browser would run."""
    if b"\x00" in data or _MARKUP.search(data[:1024]):
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f" for ch in text)


def office_kind(data: bytes, limits: ZipLimits = ZIP_LIMITS) -> str:
    """'docx' or 'xlsx' for an Office zip that passes the bomb, encryption, macro and entity checks."""
    try:
        return office_zip_kind(data, limits)
    except OfficeFileError as exc:
        raise EvidenceError(str(exc)) from None


def clean_name(name: str) -> str:
    """The original name as offered back on download: no folders, no control characters, ≤ 120 chars."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(base) > 120:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 120 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else base[:120]
    return base or "附件"


def check_upload(name: str, data: bytes, limits: ZipLimits = ZIP_LIMITS) -> CheckedFile:
    """Accept `data` only when its content is an allowed kind and its name's extension matches it."""
    original = clean_name(name)
    if not data:
        raise EvidenceError(f"「{original}」是空文件")
    if len(data) > MAX_BYTES:
        raise EvidenceError(f"「{original}」超过 {MAX_BYTES // (1024 * 1024)} MB,请压缩或拆分后上传")
    sniffed = _sniff(data)
    if sniffed == "zip":
        try:
            sniffed = office_kind(data, limits)
        except EvidenceError as exc:
            raise EvidenceError(f"「{original}」:{exc}") from None
    elif sniffed is None and _is_plain_text(data):
        sniffed = "txt"
    if sniffed is None:
        raise EvidenceError(f"「{original}」的内容不是允许的文件类型。只能上传{ACCEPTED}")
    kind = KINDS[sniffed]
    if not original.lower().endswith(kind.extensions):
        raise EvidenceError(
            f"「{original}」的内容是{kind.label},与文件扩展名不符。请使用 {kind.extensions[0]} 扩展名后重新上传"
        )
    return CheckedFile(original, kind, data, hashlib.sha256(data).hexdigest())


def _size(stream) -> int | None:
    try:
        here = stream.tell()
        size = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return size
    except (AttributeError, OSError, ValueError):
        return None


def check_uploads(uploads: list[tuple[str, object]], user_id: int) -> list[CheckedFile]:
    """Check a save's files, given as (name, binary stream): the count and every size first, before any
    file is read; then the person's upload rate; then each file's content (`check_upload`).
    The first refusal raises `EvidenceError`."""
    if len(uploads) > MAX_FILES:
        raise EvidenceError(f"每次最多上传 {MAX_FILES} 个附件,本次选择了 {len(uploads)} 个")
    total = 0
    for name, stream in uploads:
        size = _size(stream)
        if size is not None and size > MAX_BYTES:
            raise EvidenceError(
                f"「{clean_name(name)}」超过 {MAX_BYTES // (1024 * 1024)} MB,请压缩或拆分后上传"
            )
        total += size or 0
    if total > MAX_TOTAL_BYTES:
        raise EvidenceError(f"附件合计超过 {MAX_TOTAL_BYTES // (1024 * 1024)} MB,请分次上传")
    if uploads:
        wait = limits.UPLOADS.take(user_id, len(uploads))
        if wait:
            raise EvidenceError(f"上传过于频繁,请约 {int(wait // 60) + 1} 分钟后再试")
    return [check_upload(name, stream.read(MAX_BYTES + 1)) for name, stream in uploads]


PARTIAL = ".partial"


def store(
    upload_dir: str | os.PathLike, checked: CheckedFile, revision: ReportRevision, unit_id: int, user_id: int
) -> tuple[Evidence, Path]:
    """Write the file under a temporary name next to its final one and record it. Call inside the
    revision's transaction; after it commits, `settle` moves the returned paths into place; if it
    rolls back, the caller removes them. A crash in between leaves only a `.partial` file, which
    `tracker doctor` removes (no row) or moves into place (its row committed)."""
    folder = Path(upload_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored_name = secrets.token_hex(20)
    path = partial_path(folder / stored_name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(checked.data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)  # a full disk leaves no half file behind
        raise
    row = Evidence.create(
        unit=unit_id,
        revision=revision,
        uploaded_by=user_id,
        uploaded_at=now(),
        original_name=checked.original_name,
        stored_name=stored_name,
        content_type=checked.kind.content_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    return row, path


def partial_path(final: Path) -> Path:
    return final.with_name(f".{final.name}{PARTIAL}")


def final_path(partial: Path) -> Path:
    return partial.with_name(partial.name[1 : -len(PARTIAL)])


def settle(paths: list[Path]) -> None:
    """Move files written by `store` into place, once their rows have committed."""
    for path in paths:
        os.replace(path, final_path(path))
    for folder in {p.parent for p in paths}:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass(frozen=True)
class Download:
    path: Path
    download_name: str
    content_type: str
    sha256: str


def open_evidence(scope: Scope, evidence_id: int, upload_dir: str | os.PathLike) -> Download:
    """The stored file of an evidence record the person may see (OutOfScope otherwise)."""
    row = scope.evidence(evidence_id)
    path = Path(upload_dir) / row.stored_name
    if not re.fullmatch(r"[0-9a-f]{40}", row.stored_name) or not path.is_file():
        raise FileNotFoundError(row.stored_name)
    return Download(path, row.original_name, row.content_type, row.sha256)


@dataclass(frozen=True)
class FilesCheck:
    checked: int
    problems: list[str]


def verify_files(upload_dir: str | os.PathLike) -> FilesCheck:
    """Every stored evidence file against the SHA-256 recorded when it was uploaded."""
    problems, checked = [], 0
    for row in Evidence.select().order_by(Evidence.id).iterator():
        path = Path(upload_dir) / row.stored_name
        checked += 1
        if not re.fullmatch(r"[0-9a-f]{40}", row.stored_name) or not path.is_file():
            problems.append(f"佐证材料 #{row.id}「{row.original_name}」的文件缺失({row.stored_name})")
            continue
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != row.sha256:
            problems.append(
                f"佐证材料 #{row.id}「{row.original_name}」的内容与上传时的 SHA-256 不符:文件被改动"
            )
    return FilesCheck(checked, problems)
