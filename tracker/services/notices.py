"""Notices converted in the app: an uploaded notice, what the converter read and said, and the draft
plan file an admin corrects before loading it.

Everything is kept outside the web root in `UPLOAD_DIR/notices`, in files named by a random token:
`<token>.<ext>` is the notice as uploaded, `<token>.json` what the converter said, `<token>.blocks.json`
the paragraphs and table rows it read, `<token>.yaml` the draft. Checking and loading call `load_plans`,
the service behind `tracker load`; a failed load changes nothing and the draft stays as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from tracker.clock import now
from tracker.plans.convert import ConversionError, convert_bytes, dump_yaml
from tracker.plans.convert.blocks import Table
from tracker.plans.convert.safety import LIMITS
from tracker.plans.load import LoadError, LoadSummary, load_plans
from tracker.plans.schema import PlanFileError, Problem, check_yaml_text, load_plan_file
from tracker.services.admin import MAX_PLAN_BYTES, AdminError, check_plan_bytes
from tracker.store import audit
from tracker.store.db import write_transaction

NOTICE_SUFFIXES = (
    ".docx", ".xlsx", ".doc", ".wps", ".xls", ".et", ".pdf", ".png", ".jpg", ".jpeg", ".txt", ".md",
)  # fmt: skip
SUFFIX_TEXT = "、".join(NOTICE_SUFFIXES)
MAX_NOTICE_BYTES = LIMITS.max_file_bytes  # the converter's own limit; text files have a lower one
MAX_DRAFT_BYTES = MAX_PLAN_BYTES  # a draft is a plan file: the same limit as an uploaded one
DRAFT = "草稿"  # how problems name the draft, instead of the server's file name
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
# "措施 1.2「…」未列明…" or "措施 1.2: 无法识别完成时限…": the converter names the measure it means.
_NOTE_MEASURE = re.compile(r"^措施 ([0-9A-Za-z._-]+)")
# "measure 1.2 lead" (load) names a measure; "单位名称 'X' 无法识别" names the unit that did not resolve.
_PROBLEM_MEASURE = re.compile(r"^measure (\S+)")
_UNRESOLVED = re.compile(r"单位名称 '([^']+)'")
_NO_UNITS = "未列明牵头或责任单位"


class NoticeError(ValueError):
    """The notice or the draft cannot be taken as it is; `.reasons` says why, for the person at the form."""

    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__(";".join(self.reasons))


class NoticeNotFound(LookupError):
    """No such notice (or a malformed token)."""


class DraftConflict(NoticeError):
    """The draft changed since the page that edits it was opened."""


# -- what is kept ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """Something the converter could not read (a problem) or asks a reviewer to check (a warning)."""

    location: str
    reason: str

    @property
    def measure(self) -> str | None:
        """The code of the measure the note is about, when it names one."""
        match = _NOTE_MEASURE.match(self.reason)
        return match.group(1) if match else None


@dataclass(frozen=True)
class SourceCell:
    text: str
    location: str
    merged: bool = False  # repeats a merged cell's text: the converter read it into this cell too


@dataclass(frozen=True)
class SourceBlock:
    """A paragraph (`cells` empty) or a table row, as the converter read it, with its location."""

    anchor: str  # id on the page, so a note can link to it
    location: str
    text: str = ""
    cells: tuple[SourceCell, ...] = ()
    table: str | None = None  # the table's name ("表1", a sheet name) on its first row

    def locations(self) -> set[str]:
        return {self.location, *(c.location for c in self.cells)}


@dataclass(frozen=True)
class Notice:
    token: str
    original_name: str
    kind: str  # Word, Excel, 文本, Markdown
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    folder: Path
    problems: tuple[Note, ...] = ()
    warnings: tuple[Note, ...] = ()
    loaded: dict | None = None  # {"plan", "by", "at"} after a successful load
    summary: str = ""  # `38 项措施：31 项完整，5 项缺牵头单位…` as the converter counted

    @property
    def draft_path(self) -> Path:
        return self.folder / f"{self.token}.yaml"

    @property
    def meta_path(self) -> Path:
        return self.folder / f"{self.token}.json"

    @property
    def blocks_path(self) -> Path:
        return self.folder / f"{self.token}.blocks.json"

    @property
    def source_path(self) -> Path:
        return self.folder / f"{self.token}{Path(self.original_name).suffix.lower()}"

    @property
    def loaded_at(self) -> datetime | None:
        return datetime.fromisoformat(self.loaded["at"]) if self.loaded else None

    def notes(self) -> list[tuple[str, Note]]:
        """("problem" | "warning", note), problems first."""
        return [("problem", n) for n in self.problems] + [("warning", n) for n in self.warnings]

    def draft(self) -> str:
        return self.draft_path.read_text(encoding="utf-8")


def _folder(directory: str | Path) -> Path:
    path = Path(directory) / "notices"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _write(path: Path, data: bytes) -> None:
    """Write owner-only, to a temporary name first, so a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_json(path: Path, value: Any) -> None:
    _write(path, json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def digest(text: str) -> str:
    """The draft's fingerprint: a form carries it so a save or load acts on the draft the person saw."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- upload ---------------------------------------------------------------------------------------


def clean_name(original_name: str | None) -> str:
    """The uploaded file's own name, without any folder, for display only (never a path on disk)."""
    return Path((original_name or "").replace("\\", "/")).name.strip()[:200]


def stage_notice(directory: str | Path, data: bytes, original_name: str, actor: str) -> Notice:
    """Convert an uploaded notice and keep it, its reading and the draft plan file under a random name.

    The converter's own checks decide the type by content (a renamed program is not a .docx) and
    enforce the size and zip-bomb limits; what they refuse is not stored at all.
    """
    name = clean_name(original_name)
    suffix = Path(name).suffix.lower()
    if suffix not in NOTICE_SUFFIXES:
        raise NoticeError([f"只接受 {SUFFIX_TEXT} 格式的通知文件。"])
    if not data:
        raise NoticeError(["文件是空的。"])
    if len(data) > MAX_NOTICE_BYTES:
        raise NoticeError([f"文件过大(上限 {MAX_NOTICE_BYTES // 1024 // 1024} MB)。"])
    try:
        conversion = convert_bytes(data, name, known_units=_stored_names())
        blocks, kind = conversion.reading.blocks, conversion.reading.kind
    except ConversionError as exc:
        raise NoticeError([p.reason for p in exc.problems]) from None

    token = secrets.token_hex(16)
    notice = Notice(
        token=token,
        original_name=name,
        kind=kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
        uploaded_at=now(),
        folder=_folder(directory),
        problems=tuple(Note(p.location, p.reason) for p in conversion.problems),
        warnings=tuple(Note(p.location, p.reason) for p in conversion.warnings),
        summary=conversion.summary() if conversion.measures else "",
    )
    _write(notice.source_path, data)
    _write_json(notice.blocks_path, _blocks_json(blocks))
    _write(notice.draft_path, dump_yaml(conversion.plan).encode("utf-8"))
    _write_json(notice.meta_path, _meta(notice))
    with write_transaction():
        audit.record(
            actor,
            "notice.upload",
            "notice",
            token,
            None,
            {
                "original_name": name,
                "size": notice.size,
                "sha256": notice.sha256,
                "problems": len(notice.problems),
                "warnings": len(notice.warnings),
            },
        )
    return notice


def _stored_names():
    """Names of the stored units, read only if a scan needs them to correct what OCR read."""
    from tracker.store.models import Unit

    for unit in Unit.select():
        yield from unit.names()


def _meta(notice: Notice) -> dict:
    return {
        "original_name": notice.original_name,
        "kind": notice.kind,
        "size": notice.size,
        "sha256": notice.sha256,
        "uploaded_by": notice.uploaded_by,
        "uploaded_at": notice.uploaded_at.isoformat(),
        "problems": [[n.location, n.reason] for n in notice.problems],
        "warnings": [[n.location, n.reason] for n in notice.warnings],
        "loaded": notice.loaded,
        "summary": notice.summary,
    }


def _blocks_json(blocks) -> list[dict]:
    out = []
    for block in blocks:
        if isinstance(block, Table):
            rows = []
            for r, row in enumerate(block.rows):
                rows.append(
                    [
                        [cell.text, block.location(r, c), cell.merged_above or cell.merged_left]
                        for c, cell in enumerate(row)
                    ]
                )
            out.append({"table": block.name, "rows": rows})
        else:
            out.append({"text": block.text, "location": block.location})
    return out


# -- finding what is kept -------------------------------------------------------------------------


def get_notice(directory: str | Path, token: str) -> Notice:
    """A notice by its token; an unknown or malformed token is simply not found."""
    if not _TOKEN.match(token or ""):
        raise NoticeNotFound(token)
    folder = _folder(directory)
    meta_path = folder / f"{token}.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        notice = Notice(
            token=token,
            original_name=meta["original_name"],
            kind=meta["kind"],
            size=meta["size"],
            sha256=meta["sha256"],
            uploaded_by=meta["uploaded_by"],
            uploaded_at=datetime.fromisoformat(meta["uploaded_at"]),
            folder=folder,
            problems=tuple(Note(*n) for n in meta.get("problems", [])),
            warnings=tuple(Note(*n) for n in meta.get("warnings", [])),
            loaded=meta.get("loaded"),
            summary=meta.get("summary") or "",
        )
    except (OSError, ValueError, KeyError, TypeError):
        raise NoticeNotFound(token) from None
    if not notice.draft_path.is_file():
        raise NoticeNotFound(token)
    return notice


def list_notices(directory: str | Path) -> list[Notice]:
    """Every kept notice, newest first."""
    found = []
    for meta in _folder(directory).glob("*.json"):
        if meta.name.endswith(".blocks.json"):
            continue
        try:
            found.append(get_notice(directory, meta.stem))
        except NoticeNotFound:
            continue
    return sorted(found, key=lambda n: n.uploaded_at, reverse=True)


def source_blocks(notice: Notice) -> list[SourceBlock]:
    """The notice as the converter read it: paragraphs, and each table row with its cells' locations."""
    try:
        raw = json.loads(notice.blocks_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out: list[SourceBlock] = []
    for i, block in enumerate(raw):
        if "table" in block:
            for r, row in enumerate(block["rows"]):
                cells = tuple(SourceCell(text, loc, merged) for text, loc, merged in row)
                out.append(
                    SourceBlock(
                        anchor=f"src-{i}-{r}",
                        location=f"{block['table']} 第{r + 1}行",
                        cells=cells,
                        table=block["table"] if r == 0 else None,
                    )
                )
        else:
            out.append(SourceBlock(anchor=f"src-{i}", location=block["location"], text=block["text"]))
    return out


def anchors(blocks: list[SourceBlock]) -> dict[str, str]:
    """Location → the id of the paragraph or table row that holds it."""
    out: dict[str, str] = {}
    for b in blocks:
        for loc in b.locations():
            out.setdefault(loc, b.anchor)
    return out


# -- the draft ------------------------------------------------------------------------------------


def save_draft(notice: Notice, text: str, base: str | None) -> str:
    """Keep the corrected YAML as the draft; returns its digest.

    `base` is the digest of the draft the person edited: if someone saved another version since,
    nothing is overwritten and `DraftConflict` says so (the person's text is still in their form).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    data = text.encode("utf-8")
    if not text.strip():
        raise NoticeError(["草稿是空的。"])
    if len(data) > MAX_DRAFT_BYTES:
        raise NoticeError([f"草稿过长(上限 {MAX_DRAFT_BYTES // 1024 // 1024} MB)。"])
    if "\x00" in text:
        raise NoticeError(["草稿含有二进制内容。"])
    if base is not None and base != digest(notice.draft()):
        raise DraftConflict(["草稿已被他人修改并保存;请刷新页面,在最新草稿上重新修改。"])
    _write(notice.draft_path, data)
    return digest(text)


@dataclass(frozen=True)
class OutlineRow:
    """One line of the readable table: a section heading or a measure, as the draft says it."""

    depth: int
    code: str
    title: str
    measure: bool
    lead: tuple[str, ...] = ()
    responsible: tuple[str, ...] = ()
    supporting: tuple[str, ...] = ()
    deadline: str = ""
    deadline_text: str = ""
    recurring: str = ""
    flags: tuple[str, ...] = ()  # why a reviewer should look at this measure

    @property
    def has_units(self) -> bool:
        return bool(self.lead or self.responsible or self.supporting)


@dataclass(frozen=True)
class Outline:
    rows: list[OutlineRow]
    error: str | None = None  # the draft is not YAML a table can be read from

    @property
    def measures(self) -> int:
        return sum(1 for r in self.rows if r.measure)

    @property
    def flagged(self) -> int:
        return sum(1 for r in self.rows if r.measure and r.flags)


def outline(notice: Notice, text: str, check: DraftCheck | None = None) -> Outline:
    """The draft's sections and measures for reading, each measure marked with what needs a look:
    a note of the converter about it, no units, a unit the check could not resolve."""
    try:
        check_plan_bytes(text.encode("utf-8"), "draft.yaml")
        doc = YAML(typ="safe", pure=True).load(text)
    except AdminError as exc:
        return Outline([], str(exc))
    except YAMLError as exc:  # check_plan_bytes parses, but does not construct, the document
        return Outline([], f"YAML 格式错误:{getattr(exc, 'problem', None) or exc}")
    flags: dict[str, list[str]] = {}
    for _, note in notice.notes():
        # "未列明单位" is judged on the draft as it is now (below), so a corrected item is no longer marked.
        if note.measure and _NO_UNITS not in note.reason:
            flags.setdefault(note.measure, []).append(f"{note.location}:{note.reason}")
    for p in check.problems if check else []:
        match = _PROBLEM_MEASURE.match(p.path or "")
        if match:
            flags.setdefault(match.group(1), []).append(p.reason)
    rows: list[OutlineRow] = []

    def walk(sections: Any, depth: int) -> None:
        for s in sections if isinstance(sections, list) else []:
            if not isinstance(s, dict):
                continue
            rows.append(OutlineRow(depth, _str(s.get("code")), _str(s.get("title")), False))
            measures = s.get("measures")
            for m in measures if isinstance(measures, list) else []:
                if isinstance(m, dict):
                    rows.append(_measure_row(m, depth, flags))
            walk(s.get("sections"), depth + 1)

    walk(doc.get("sections") if isinstance(doc, dict) else None, 0)
    return Outline(rows)


def _measure_row(m: dict, depth: int, flags: dict[str, list[str]]) -> OutlineRow:
    code = _str(m.get("code"))
    names = {role: _names(m.get(role)) for role in ("lead", "responsible", "supporting")}
    why = list(flags.get(code, []))
    if not any(names.values()):
        why.insert(0, _NO_UNITS)
    return OutlineRow(
        depth,
        code,
        _str(m.get("title")),
        True,
        names["lead"],
        names["responsible"],
        names["supporting"],
        _str(m.get("deadline")),
        _str(m.get("deadline_text")),
        _str(m.get("recurring")),
        tuple(dict.fromkeys(why)),
    )


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value if v is not None)
    return (str(value),) if value else ()


# -- check and load -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftCheck:
    """What loading the draft would change, or every reason it cannot be loaded."""

    digest: str  # of the draft that was checked
    summaries: list[LoadSummary] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unresolved(self) -> list[str]:
        """The unit names that resolve to no unit (or to several), each once, in order."""
        names = [m.group(1) for p in self.problems if (m := _UNRESOLVED.search(p.reason))]
        return list(dict.fromkeys(names))


def _named(notice: Notice, problems: list[Problem]) -> list[Problem]:
    server = str(notice.draft_path)
    return [Problem(DRAFT if p.source == server else p.source, p.line, p.path, p.reason) for p in problems]


def _guard(text: str) -> None:
    """The same checks as `tracker load` and an uploaded plan file: size, no YAML anchors, bounded nesting."""
    try:
        check_yaml_text(text, DRAFT)
    except PlanFileError as exc:
        raise LoadError(exc.problems) from None


def check_draft(notice: Notice, actor: str) -> DraftCheck:
    """Parse the draft (`parse_plan`) and dry-run `load_plans`: the changes, or every problem; writes nothing."""
    text = notice.draft()
    try:
        _guard(text)
        load_plan_file(notice.draft_path)  # parse_plan first: its problems need no database lock
        summaries = load_plans([notice.draft_path], dry_run=True, actor=actor)
    except PlanFileError as exc:
        return DraftCheck(digest(text), problems=_named(notice, exc.problems))
    except LoadError as exc:
        return DraftCheck(digest(text), problems=_named(notice, exc.problems))
    for s in summaries:
        s.origin = DRAFT
        s.warnings = _named(notice, s.warnings)
    return DraftCheck(digest(text), summaries)


def load_draft(notice: Notice, actor: str, checked: str | None, confirmed: bool = True) -> list[LoadSummary]:
    """Load the draft with `load_plans`, as `tracker load` does; the loader writes the audit events.

    `checked` is the digest of the draft the person checked: a draft changed since is not loaded.
    On `LoadError` nothing was written and the draft is kept as it is.
    """
    text = notice.draft()
    if checked is not None and checked != digest(text):
        raise DraftConflict(["草稿在检查之后又被修改过;请重新检查后再加载。"])
    if not confirmed:
        reasons = confirmations(notice)
        if reasons:
            raise NeedsConfirmation(reasons)
    _guard(text)
    try:
        summaries = load_plans([notice.draft_path], actor=actor)
    except LoadError as exc:
        raise LoadError(_named(notice, exc.problems)) from None
    for s in summaries:
        s.origin = DRAFT
    loaded = {"plan": summaries[0].plan if summaries else None, "by": actor, "at": now().isoformat()}
    _write_json(notice.meta_path, _meta(replace(notice, loaded=loaded)))
    return summaries


def discard_notice(notice: Notice, actor: str) -> None:
    """Remove the notice, its reading and its draft; what was loaded from it stays loaded."""
    with write_transaction():
        audit.record(
            actor, "notice.discard", "notice", notice.token, {"original_name": notice.original_name}, None
        )
    for path in (notice.source_path, notice.blocks_path, notice.draft_path, notice.meta_path):
        path.unlink(missing_ok=True)


# -- the review table -----------------------------------------------------------------------------

ROLES = ("lead", "responsible", "supporting")
_SEPARATORS = re.compile(r"[、,，;；\n]+")


class NeedsConfirmation(NoticeError):
    """Loading would bring in measures without a lead, or a plan like one already loaded: the admin
    confirms first. `.reasons` says what."""


def unit_choices(text: str) -> list[str]:
    """Names a unit cell can pick: the draft's own units (name, short, aliases) and every stored unit."""
    from tracker.store.models import Unit

    names: list[str] = []
    doc = _load_draft(text)
    for u in doc.get("units") or [] if isinstance(doc, dict) else []:
        if isinstance(u, dict):
            names += [str(n) for n in (u.get("name"), u.get("short"), *(u.get("aliases") or [])) if n]
    for unit in Unit.select().order_by(Unit.name):
        names += unit.names()
    return list(dict.fromkeys(n for n in names if n))


def _load_draft(text: str) -> Any:
    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError:
        return None


def split_names(value: str) -> list[str]:
    """What a person typed in a unit cell (`市发改委、市财政局`) as names; 、 inside brackets is kept."""
    from tracker.plans.convert.units import split_top

    return [n.strip() for n in split_top(value or "", "、,，;；\n") if n.strip()]


def apply_review(notice: Notice, rows: dict[str, dict[str, str]], base: str | None, actor: str) -> str:
    """Write the review table's edits into the draft: per measure code, its title, units by role and
    printed deadline (read again into a date). Returns the new draft's digest; nothing is written
    when a deadline cannot be read or the draft changed since the table was shown."""
    from tracker.plans.convert.deadlines import DeadlineError, parse_deadline

    text = notice.draft()
    if base is not None and base != digest(text):
        raise DraftConflict(["草稿已被他人修改并保存;请刷新页面,在最新草稿上重新修改。"])
    yaml = YAML()  # round trip: the draft keeps its layout, comments and every field the table does not show
    yaml.preserve_quotes = True
    yaml.width = 4096
    try:
        doc = yaml.load(text)
    except YAMLError as exc:
        raise NoticeError([f"草稿不是有效的 YAML,请在文本框中改正:{getattr(exc, 'problem', exc)}"]) from None
    plan = doc.get("plan") or {}
    issued = plan.get("issued") or plan.get("start")
    year = getattr(issued, "year", None)
    errors: list[str] = []
    changed = 0

    def walk(sections):
        for s in sections or []:
            yield from s.get("measures") or []
            yield from walk(s.get("sections"))

    from ruamel.yaml.comments import CommentedSeq

    for m in walk(doc.get("sections")):
        edit = rows.get(str(m.get("code")))
        if not edit:
            continue
        title = (edit.get("title") or "").strip()
        if title and title != m.get("title"):
            m["title"] = title
            changed += 1
        for role in ROLES:
            if role not in edit:
                continue
            names = split_names(edit[role])
            if names != list(m.get(role) or []):
                seq = CommentedSeq(names)
                seq.fa.set_flow_style()
                m[role] = seq
                changed += 1
        printed = (edit.get("deadline_text") or "").strip()
        if "deadline_text" in edit and printed != (m.get("deadline_text") or ""):
            changed += 1
            if not printed:
                m["deadline_text"], m["deadline"], m["recurring"] = None, None, None
                continue
            try:
                d = parse_deadline(printed, year)
            except DeadlineError as exc:
                errors.append(f"措施 {m.get('code')}:{exc}")
                continue
            m["deadline_text"], m["deadline"], m["recurring"] = printed, d.date, d.recurring
    if errors:
        raise NoticeError(errors)
    if not changed:
        return digest(text)
    out = io.StringIO()
    yaml.dump(doc, out)
    new = save_draft(notice, out.getvalue(), digest(text))
    with write_transaction():
        audit.record(actor, "notice.review", "notice", notice.token, {"draft": digest(text)}, {"draft": new})
    return new


def confirmations(notice: Notice) -> list[str]:
    """What the admin confirms before loading: measures without a lead, and a loaded plan with the same
    文号 or title under another code (the same notice loaded twice)."""
    from tracker.store.models import Plan

    doc = _load_draft(notice.draft())
    if not isinstance(doc, dict):
        return []
    out: list[str] = []
    rows = outline(notice, notice.draft()).rows
    no_lead = [r.code for r in rows if r.measure and not r.lead]
    if no_lead:
        shown = "、".join(no_lead[:8]) + (" 等" if len(no_lead) > 8 else "")
        out.append(f"{len(no_lead)} 项措施没有牵头单位({shown}),加载后这些措施无人牵头。")
    plan = doc.get("plan") if isinstance(doc.get("plan"), dict) else {}
    code, title, number = plan.get("code"), plan.get("title"), plan.get("doc_number")
    query = Plan.select().where(Plan.code != str(code or ""))
    for other in query:
        if number and other.doc_number == number:
            out.append(f"已加载的方案 {other.code}「{other.title}」文号相同({number}),可能是同一通知。")
        elif title and other.title == title:
            out.append(f"已加载的方案 {other.code} 标题相同「{title}」,可能是同一通知。")
    return out
