"""Publishing the static site: gather → public documents → render → write, and the record of it.

`publish` builds one or more boards of a plan (a monthly board, a quarterly bulletin, a yearly
assessment) into the site folder (`sites/` by default, or `TRACKER_SITES_DIR`). First everything is
gathered, checked and rendered in memory; only then are files written, each atomically, and only
those whose bytes changed.

A published board never changes afterwards. Publishing it again gives the same bytes, because it
reads only what was recorded up to its cut-off. When it would not (say the plan's wording was
corrected since), the files already out are kept and a warning says so; `force=True` rewrites them
and records an audit event. Each board's publication is kept in `Publication` (first and last
publication, digest of its files). The plan's own pages (its index, a page per measure and per unit
over time, the data package, the feed) are rebuilt from the published boards' documents on every
publication; they are not snapshots, but the same boards always give the same bytes.

`publish_due(now)` is what the scheduler calls: it publishes every board whose cut-off has passed
(plus the plan's delay) and that is not published yet.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from tracker.clock import now as clock_now
from tracker.rules.periods import Period, Quarter, Review, Window, Year, parse_window, review_windows
from tracker.runtime import batch, freeze_heap
from tracker.services import boards, events
from tracker.services.boards import UnknownPlan, board_moment, plan_by_code
from tracker.services.facts import reporting_start
from tracker.site import gather as site_gather
from tracker.site import public, render
from tracker.site.write import MANIFEST, SiteWriter, manifest_for, read_bytes, sha256
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import (
    Assignment,
    AuditEvent,
    EventSubscription,
    Measure,
    Plan,
    Publication,
    Report,
    Setting,
)

DEFAULT_SITES_DIR = "sites"
SCHEDULE_KEY = "publish:{code}"
DEFAULT_SCHEDULE = {"enabled": True, "delay_days": 0, "windows": ["month", "quarter", "year", "review"]}
_KEY = re.compile(r"\d{4}(-\d{2}|Q[1-4])?|[a-z][a-z0-9]{0,23}-\d{4}-\d{2}")

__all__ = ["PublishError", "UnknownPlan", "publish", "publish_due", "publish_demo", "sites_dir"]


class PublishError(ValueError):
    pass


@dataclass(frozen=True)
class BoardOutcome:
    """What became of one board: `new`, `same` (identical bytes), `kept` (differs; published files
    kept), `forced` (differs; rewritten with --force) or `changed` (differs from the recorded
    publication, whose files were not in this folder)."""

    key: str
    status: str
    digest: str
    files: int


@dataclass
class PublishResult:
    plan: str
    out: Path
    boards: list[BoardOutcome] = field(default_factory=list)
    written: tuple[str, ...] = ()
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        return len(self.written) + self.unchanged


def sites_dir(out: str | os.PathLike | None = None) -> Path:
    """The site folder: `out`, else TRACKER_SITES_DIR, else `sites/`."""
    return Path(out or os.environ.get("TRACKER_SITES_DIR") or DEFAULT_SITES_DIR)


def window_of(text: str) -> Window:
    try:
        return parse_window(text)
    except ValueError as exc:
        raise PublishError(str(exc)) from None


def plan_reviews(plan: Plan) -> tuple[Review, ...]:
    """The plan's own review windows (plan.reviews) from its adoption to its end."""
    return review_windows(plan.reviews or [], reporting_start(plan), plan.end)


def _resolve(plan: Plan, window: Window) -> Window:
    """A review window named by its key alone, with its months and name from the plan."""
    if not isinstance(window, Review):
        return window
    for known in plan_reviews(plan):
        if (known.code, known.end) == (window.code, window.end):
            return known
    names = "、".join(
        f"{r['code']}({r['name']},{'/'.join(str(m) for m in r['months'])}月)" for r in plan.reviews or []
    )
    raise PublishError(
        f"方案 {plan.code} 没有在 {window.end} 结束的评比 {window.code!r}"
        + (f";方案的评比:{names}" if names else ";方案未规定评比(plan.reviews)")
    )


def _check_window(plan: Plan, window: Window, moment: datetime) -> None:
    if window.periods[-1].last_day < plan.start or window.periods[0].first_day > plan.end:
        raise PublishError(
            f"{window} 不在方案 {plan.code} 的实施期内({plan.start.isoformat()} 至 {plan.end.isoformat()})"
        )
    adopted = reporting_start(plan)
    if window.periods[-1].last_day < adopted:
        raise PublishError(
            f"{window} 早于方案 {plan.code} 的采用日 {adopted.isoformat()}(reporting.start),"
            "采用前的看板不发布、不排名"
        )
    cutoff = board_moment(plan, window.periods[-1])
    if cutoff >= moment:
        raise PublishError(f"{window} 的看板截止时间 {cutoff:%Y-%m-%d %H:%M} 未到,不能发布")


# --- the published record on disk ------------------------------------------------------------------


def _data_file(key: str) -> str:
    window = parse_window(key)
    if isinstance(window, Period):
        return "board.json"
    return "bulletin.json" if isinstance(window, Quarter | Review) else "assessment.json"


def load_record(out: Path, plan_doc: dict) -> render.PlanRecord:
    """The documents of the boards of a plan already in the site folder, read back from their JSON."""
    record = render.PlanRecord(plan_doc)
    folder = out / plan_doc["code"]
    if not folder.is_dir():
        return record
    for name in sorted(os.listdir(folder)):
        if not _KEY.fullmatch(name):
            continue
        data = read_bytes(folder / name / _data_file(name))
        if data is None:
            continue
        _remember(record, json.loads(data))
    return record


def _remember(record: render.PlanRecord, doc: dict) -> None:
    if "period" in doc:
        record.months[doc["period"]] = doc
    else:
        record.windows[doc["window"]] = doc


def _digest(files: dict[str, bytes]) -> str:
    return sha256("".join(f"{sha256(files[rel])}  {rel}\n" for rel in sorted(files)).encode("utf-8"))


# --- one build ---------------------------------------------------------------------------------------


@batch
def publish(
    plan_code: str,
    windows: Iterable[Window | str],
    out: str | os.PathLike | None = None,
    *,
    force: bool = False,
    actor: str = "tracker publish",
    progress: Callable[[int], Callable[[int], None]] | None = None,
    now: datetime | None = None,
    workers: int = 1,
) -> PublishResult:
    """Publish the boards `windows` (months, quarters, years) of `plan_code` into `out` in one build.

    With `workers` > 1 the pages are rendered in that many processes (the gathering stays here), each
    board's while the next is gathered.
    """
    moment = now or clock_now()
    root = sites_dir(out)
    plan = plan_by_code(plan_code)
    render.name_reviews(plan.reviews or [])
    wanted = sorted(
        {_resolve(plan, window_of(w) if isinstance(w, str) else w) for w in windows}, key=render.window_order
    )
    if not wanted:
        raise PublishError("没有要发布的看板")
    for window in wanted:
        _check_window(plan, window, moment)

    pool = _pool(workers)
    try:
        # 1. Gather and decide what is public, for every board, before anything is written. With
        # workers, each board is rendered while the next one is gathered.
        documents, rendering = [], []
        shared = site_gather.Shared.of(plan)  # read once for every board of the build
        # Once per cut-off: a quarter's bulletin reads the facts its last month's board read.
        for window, facts in boards.gather_once(plan, wanted):
            gathered = site_gather.gather(plan, window, shared, facts)
            doc = (
                public.month_document(gathered)
                if isinstance(window, Period)
                else public.window_document(gathered)
            )
            documents.append(doc)
            if pool:
                rendering.append(pool.submit(render.board_files, doc))

        # 2. Render each board's snapshot and hold it against what is already out.
        plan_doc = public.plan_document(site_gather.PlanInfo.of(plan))
        record = load_record(root, plan_doc)
        result = PublishResult(plan.code, root)
        writer = SiteWriter(root)
        recorded = {p.board: p for p in Publication.select().where(Publication.plan == plan.id)}
        rendered = (f.result() for f in rendering) if pool else map(render.board_files, documents)
        for doc, files in zip(documents, rendered, strict=True):
            _hold(doc, files, root, plan, force, recorded, record, result, writer)
        record.audit_head = _audit_head(plan, result)
        # 3. The plan's pages from the record, the site's root, the manifest.
        if pool:
            for files in pool.map(
                functools.partial(render.plan_files, record), [("index", "measures"), ("units",)]
            ):
                writer.add_all(files)
        else:
            writer.add_all(render.plan_files(record))
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    writer.add_all(render.root_files(_plans_on_site(root, plan, record)))
    prefix = f"{plan.code}/"
    fresh = {rel.removeprefix(prefix): data for rel, data in writer.files.items() if rel.startswith(prefix)}
    writer.add(prefix + MANIFEST, render.manifest(manifest_for(root / plan.code, fresh), record.audit_head))

    # 4. Write, then record the publications.
    written = writer.commit(progress)
    result.written, result.unchanged = written.written, written.unchanged
    _record(plan, result, recorded, actor, moment, record.audit_head)
    return result


def _audit_head(plan: Plan, result: PublishResult) -> str | None:
    """The chain's head as of this build, for the feed and the manifest; a build that publishes no
    new board keeps the head its plan's last publication carried, so publishing again changes no byte."""
    if result.boards and all(b.status in ("same", "kept") for b in result.boards):
        last = (
            AuditEvent.select(AuditEvent.after)
            .where(
                AuditEvent.entity == "publication",
                AuditEvent.action.startswith("site."),
                AuditEvent.entity_id.startswith(f"{plan.code}/"),
            )
            .order_by(AuditEvent.seq.desc())
            .first()
        )
        noted = (last.after or {}).get("audit_head") if last is not None else None
        if noted:
            return f"{noted['seq']}:{noted['hash']}"
    return audit.head_text()


def _pool(workers: int):
    if workers <= 1:
        return None
    # Forked workers only render plain documents; they never touch the database connection. Frozen
    # first, so the children share the parent's heap instead of copying what a collection touches.
    freeze_heap()
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def _hold(doc, files, root, plan, force, recorded, record, result, writer) -> None:
    """Hold one board's files against what is already out: new, same, kept (differs) or forced."""
    key = render.board_key(doc)
    on_disk = {rel: read_bytes(root / rel) for rel in files}
    differs = [rel for rel, data in on_disk.items() if data is not None and data != files[rel]]
    previous = recorded.get(key)
    if differs and not force:
        kept = {rel: data for rel, data in on_disk.items() if data is not None}
        result.boards.append(BoardOutcome(key, "kept", _digest(kept), len(kept)))
        result.warnings.append(
            f"{plan.code} {key}: 已发布的看板与现在生成的不同({len(differs)} 个文件,如 {differs[0]}),"
            "保留已发布的文件未改动;确需更正请加 --force(将记入审计)"
        )
        return  # the record keeps the published document read from disk
    digest = _digest(files)
    if differs:
        status = "forced"
    elif previous is None:
        status = "new"
    elif previous.digest == digest:
        status = "same"
    else:
        status = "changed"
        result.warnings.append(
            f"{plan.code} {key}: 与 {previous.first_published_at:%Y-%m-%d} 记录的发布内容不同"
            f"(该文件夹中没有原文件),已写入新生成的文件"
        )
    writer.add_all(files)
    _remember(record, doc)
    result.boards.append(BoardOutcome(key, status, digest, len(files)))


def _plans_on_site(root: Path, current: Plan, record: render.PlanRecord):
    """Every plan with a folder of boards in the site (and the one being published), for the index."""
    rows = []
    for plan in Plan.select().order_by(Plan.code):
        if plan.id == current.id:
            rec = record
        else:
            if not (root / plan.code).is_dir():
                continue
            rec = load_record(root, public.plan_document(site_gather.PlanInfo.of(plan)))
        keys = rec.boards()
        if keys:
            rows.append((rec.plan, keys[-1], rec.latest_month))
    return rows


def _record(
    plan: Plan, result: PublishResult, recorded: dict, actor: str, moment: datetime, head: str | None
) -> None:
    with write_transaction():
        # Each publication notes the audit chain's head, so `tracker audit verify` can later be
        # checked against it: a chain truncated or rolled back below a publication is caught.
        seq, _, digest = (head or "").partition(":")
        noted = {"audit_head": {"seq": int(seq), "hash": digest}} if head else {}
        # One insert of the new publications, one append to the chain, one look for subscribers.
        created, changes, published = [], [], []
        for outcome in result.boards:
            previous = recorded.get(outcome.key)
            if previous is None:
                if outcome.status == "kept":
                    continue  # files of an unrecorded publication: nothing to record of ours
                created.append(
                    {
                        "plan": plan.id,
                        "board": outcome.key,
                        "first_published_at": moment,
                        "last_published_at": moment,
                        "digest": outcome.digest,
                        "files": outcome.files,
                    }
                )
                changes.append(
                    audit.Change(
                        "site.publish",
                        "publication",
                        f"{plan.code}/{outcome.key}",
                        None,
                        {"digest": outcome.digest, "files": outcome.files, **noted},
                    )
                )
                published.append(outcome)
                continue
            if outcome.status == "kept":
                continue
            update = {"last_published_at": moment}
            if previous.digest != outcome.digest:
                update.update(digest=outcome.digest, files=outcome.files)
                changes.append(
                    audit.Change(
                        "site.republish_forced" if outcome.status == "forced" else "site.republish_changed",
                        "publication",
                        f"{plan.code}/{outcome.key}",
                        {"digest": previous.digest, "files": previous.files},
                        {"digest": outcome.digest, "files": outcome.files, **noted},
                    )
                )
            Publication.update(**update).where(Publication.id == previous.id).execute()
        if created:
            Publication.insert_many(created).execute()
        audit.record_many(actor, changes)
        if published:
            anyone = EventSubscription.select().where(EventSubscription.active == True).exists()  # noqa: E712
            for outcome in published:
                events.emit(
                    "board.published",
                    None,
                    {"plan": plan.code, "board": outcome.key, "digest": outcome.digest},
                    at=moment,
                    any_subscription=anyone,
                )


# --- scheduled and demo publication ----------------------------------------------------------------


def schedule(plan: Plan) -> dict:
    """The plan's publishing schedule: Setting `publish:<code>` holds JSON overriding
    {"enabled": true, "delay_days": 0, "windows": ["month", "quarter", "year"]}."""
    value = Setting.select(Setting.value).where(Setting.key == SCHEDULE_KEY.format(code=plan.code)).scalar()
    config = dict(DEFAULT_SCHEDULE)
    if value:
        config.update(json.loads(value))
    return config


def set_schedule(plan_code: str, **changes) -> dict:
    """Change a plan's publishing schedule (enabled, delay_days, windows) and audit it."""
    plan = plan_by_code(plan_code)
    before = schedule(plan)
    unknown = set(changes) - set(DEFAULT_SCHEDULE)
    if unknown:
        raise PublishError(f"unknown schedule settings: {sorted(unknown)}")
    after = {**before, **changes}
    with write_transaction():
        key, value = SCHEDULE_KEY.format(code=plan.code), json.dumps(after, sort_keys=True)
        if not Setting.update(value=value).where(Setting.key == key).execute():
            Setting.create(key=key, value=value)
        audit.record("tracker", "site.schedule", "plan", plan.code, before, after)
    return after


def plan_windows(plan: Plan, kinds: Iterable[str] = ("month", "quarter", "year", "review")) -> list[Window]:
    """Every month, quarter and year that overlaps the plan's span from its adoption day, in order."""
    months = []
    period = Period.of(reporting_start(plan))
    while period.first_day <= plan.end:
        months.append(period)
        period = period.next()
    found: list[Window] = []
    if "month" in kinds:
        found += months
    if "quarter" in kinds:
        found += sorted({p.quarter for p in months})
    if "year" in kinds:
        found += sorted({Year(p.year) for p in months})
    if "review" in kinds:
        found += plan_reviews(plan)
    return sorted(found, key=render.window_order)


def publish_due(
    now: datetime | None = None, out: str | os.PathLike | None = None, actor: str = "scheduler"
) -> list[PublishResult]:
    """Publish every board whose cut-off (plus the plan's `delay_days`) has passed and that has no
    publication yet, one build per plan; plans whose schedule is disabled are skipped."""
    moment = now or clock_now()
    results = []
    for plan in Plan.select().order_by(Plan.code):
        config = schedule(plan)
        if not config.get("enabled", True):
            continue
        done = {p.board for p in Publication.select(Publication.board).where(Publication.plan == plan.id)}
        delay = timedelta(days=int(config.get("delay_days", 0)))
        due = [
            w
            for w in plan_windows(plan, config.get("windows", DEFAULT_SCHEDULE["windows"]))
            if str(w) not in done and board_moment(plan, w.periods[-1]) + delay < moment
        ]
        if due:
            results.append(publish(plan.code, due, out, actor=actor, now=moment))
    return results


def publish_demo(out: str | os.PathLike | None = None, now: datetime | None = None) -> list[PublishResult]:
    """The demo's site: each month of each plan with reports, and every quarter and year whose cut-off
    has passed."""
    moment = now or clock_now()
    results = []
    for plan in Plan.select().order_by(Plan.code):
        reported = {
            period
            for (period,) in Report.select(Report.period)
            .join(Assignment)
            .join(Measure)
            .where(Measure.plan == plan.id)
            .distinct()
            .tuples()
        }
        windows = [
            w
            for w in plan_windows(plan)
            if board_moment(plan, w.periods[-1]) < moment
            and (not isinstance(w, Period) or str(w) in reported)
        ]
        if windows:
            results.append(publish(plan.code, windows, out, actor="demo", now=moment))
    return results
