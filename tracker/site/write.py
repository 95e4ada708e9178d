"""Write: the site's files into place, atomically, touching only what changed.

Every file of a build is added first (a path added twice is refused: two pages would fight over it),
then written in path order: bytes equal to the file on disk leave it alone (its time too), anything
else goes to a temporary name in the same folder and is moved over the old file with `os.replace`,
so a reader or a crash never sees half a file. `SHA256SUMS` lists every file of a plan's folder.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MANIFEST = "SHA256SUMS"
TEMP_MARK = ".tmp-"


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
        """Write every changed file in path order; `progress(total)` returns a callback told of each file."""
        update = progress(len(self.files)) if progress else None
        written, unchanged = [], 0
        for rel in sorted(self.files):
            data = self.files[rel]
            target = self.root / rel
            if same_bytes(target, data):
                unchanged += 1
            else:
                replace_atomically(target, data)
                written.append(rel)
            if update:
                update(1)
        return WriteResult(tuple(written), unchanged)


def walk(folder: Path) -> list[str]:
    """Every file under `folder` as a relative path, in sorted order (temporary files left out)."""
    found = []
    for current, dirs, names in os.walk(folder):
        dirs.sort()
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
