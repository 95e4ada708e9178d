"""Write: the site's files into place, staged, touching only what changed.

Every file of a build is added first (a path added twice is refused: two pages would fight over it).
Bytes equal to the file on disk leave it alone (its time too). Every changed file is first written
and fsynced into a staging folder in the site root (`.staging-…`, on the same file system): a full
disk or any other failure there leaves the published site exactly as it was. Then a journal listing
the switch is fsynced, and each staged file is moved over the old one with `os.replace`, the
`SHA256SUMS` files last; renames need no space, so the switch cannot stop halfway for a full disk,
and a crash during it is rolled forward from the journal by the next publish (`recover`). Stale
temporary files and staging folders of a crashed build are removed the same way.
`SHA256SUMS` lists every file of a plan's folder.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MANIFEST = "SHA256SUMS"
TEMP_MARK = ".tmp-"
STAGING = ".staging-"
JOURNAL = ".switch"  # in a staging folder: the files to move, once every one of them is staged


class DuplicatePath(ValueError):
    pass


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check(rel: str) -> str:
    path = PurePosixPath(rel)
    if path.is_absolute() or not rel or any(part in ("", ".", "..") for part in rel.split("/")):
        raise ValueError(f"not a path inside the site: {rel!r}")
    return rel


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def same_bytes(path: Path, data: bytes) -> bool:
    """Whether `path` already holds exactly `data` (the size is compared before any read)."""
    try:
        if path.stat().st_size != len(data):
            return False
    except FileNotFoundError:
        return False
    return path.read_bytes() == data


def replace_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}")
    try:
        with open(temp, "wb") as fh:
            fh.write(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class WriteResult:
    written: tuple[str, ...]
    unchanged: int


class SiteWriter:
    """Collects a build's files by path (relative to the site root), then writes the changed ones."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.files: dict[str, bytes] = {}

    def add(self, rel: str, data: bytes) -> None:
        _check(rel)
        if rel in self.files:
            raise DuplicatePath(f"two files of one build would be written to {rel}")
        self.files[rel] = data

    def add_all(self, files: dict[str, bytes]) -> None:
        for rel in sorted(files):
            self.add(rel, files[rel])

    def commit(self, progress: Callable[[int], Callable[[int], None]] | None = None) -> WriteResult:
        """Stage every changed file, then switch them in (manifests last); `progress(total)` returns a
        callback told of each file."""
        recover(self.root)
        update = progress(len(self.files)) if progress else None
        changed, unchanged = [], 0
        for rel in sorted(self.files):
            if same_bytes(self.root / rel, self.files[rel]):
                unchanged += 1
                if update:
                    update(1)
            else:
                changed.append(rel)
        if not changed:
            return WriteResult((), unchanged)
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f"{STAGING}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            for rel in changed:
                _write_synced(staging / rel, self.files[rel])
                if update:
                    update(1)
            for folder in {(staging / rel).parent for rel in changed}:
                _fsync_dir(folder)
            order = [r for r in changed if PurePosixPath(r).name != MANIFEST]
            order += [r for r in changed if PurePosixPath(r).name == MANIFEST]
            _write_synced(staging / JOURNAL, "\n".join(order).encode("utf-8"))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)  # nothing of the site was touched
            raise
        _switch(self.root, staging, order)
        return WriteResult(tuple(changed), unchanged)


def _write_synced(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _switch(root: Path, staging: Path, order: list[str]) -> None:
    """Move the staged files over the published ones in `order`, then drop the staging folder."""
    folders = set()
    for rel in order:
        source, target = staging / rel, root / rel
        if source.exists():  # a rolled-forward switch finds the files already moved
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            folders.add(target.parent)
    for folder in folders:
        _fsync_dir(folder)
    shutil.rmtree(staging, ignore_errors=True)


def recover(root: Path) -> list[str]:
    """Finish a switch a crash interrupted (its journal is complete), drop unfinished staging folders
    and stray temporary files; returns what it did, one line each."""
    done = []
    if not Path(root).is_dir():
        return done
    for staging in sorted(Path(root).glob(f"{STAGING}*")):
        journal = staging / JOURNAL
        if journal.is_file():
            order = [r for r in journal.read_text(encoding="utf-8").splitlines() if r]
            _switch(Path(root), staging, order)
            done.append(f"完成了中断的发布切换 {staging.name}({len(order)} 个文件)")
        else:
            shutil.rmtree(staging, ignore_errors=True)
            done.append(f"删除了未完成的发布暂存 {staging.name}")
    for current, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(STAGING)]
        for name in names:
            if name.startswith(".") and TEMP_MARK in name:
                Path(current, name).unlink(missing_ok=True)
                done.append(f"删除了残留的临时文件 {name}")
    return done


def walk(folder: Path) -> list[str]:
    """Every file under `folder` as a relative path, in sorted order (temporary files left out)."""
    found = []
    for current, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(STAGING))
        base = Path(current).relative_to(folder)
        for name in sorted(names):
            if TEMP_MARK in name and name.startswith("."):
                continue
            found.append((base / name).as_posix())
    return sorted(found)


def previous_manifest(folder: Path) -> dict[str, str]:
    text = read_bytes(folder / MANIFEST)
    entries = {}
    for line in (text or b"").decode("utf-8").splitlines():
        digest, _, rel = line.partition("  ")
        if len(digest) == 64 and rel:
            entries[rel] = digest
    return entries


def manifest_for(folder: Path, fresh: dict[str, bytes]) -> dict[str, str]:
    """The digest of every file in `folder` once this build is written.

    `fresh` holds this build's files under `folder` (relative to it); a file this build did not
    touch keeps the digest of the previous manifest, or is read when it has none.
    """
    before = previous_manifest(folder)
    digests = {}
    for rel in sorted(set(walk(folder)) | set(fresh)):
        if rel == MANIFEST:
            continue
        if rel in fresh:
            digests[rel] = sha256(fresh[rel])
        elif rel in before:
            digests[rel] = before[rel]
        else:
            data = read_bytes(folder / rel)
            if data is not None:
                digests[rel] = sha256(data)
    return digests
