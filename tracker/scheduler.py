"""The scheduler: APScheduler jobs that chase, deliver and publish on their own, and never act twice.

Jobs, in Asia/Shanghai time, each coalescing missed runs into one and never overlapping itself:
- chase: daily at 09:00, and at half past every hour from 08:30 to 20:30 as a catch-up (after a
  restart or a missed run); each run then delivers what it recorded;
- deliver: every minute, sends pending email and webhook deliveries and retries failures;
- publish: at 00:30 (just after a board's 23:59 cut-off) and 09:30 as a catch-up, calls
  `tracker.site.publish_due(now)` when the site module provides it;
- backup: at 02:00, a backup into TRACKER_BACKUP_DIR keeping the newest TRACKER_BACKUP_KEEP, when set;
- doctor: at 03:00, `tracker doctor` (orphaned evidence files removed, problems logged).

Started once: `start_scheduler` keeps one scheduler per process, and every job first takes a lease
in the database (a `Setting` row naming its holder and when it expires, written inside a write
transaction), so when several processes run a scheduler only the lease holder acts; the others stand
by and take over once the holder stops renewing. A job renews the lease while it works, however long
it runs. Even if two acted, reminder keys are unique and each message is switched to `sending` by
one worker only, so no chase is recorded or sent twice. `shutdown` (SIGTERM, Ctrl+C) lets a running
delivery finish the message in hand, then gives the lease up.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tracker.clock import TZ, now
from tracker.services import chasing
from tracker.store import audit
from tracker.store.db import db, write_transaction
from tracker.store.models import Setting

log = logging.getLogger(__name__)

LEASE_KEY = "scheduler.lease"
LEASE_TTL = timedelta(minutes=3)  # renewed by every job run, at least every minute by `deliver`
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def _wall_clock() -> datetime:
    # The lease measures whether a process is alive, so it reads the real clock: TRACKER_NOW fixes
    # the business "now" (and may stand still), which must not keep a dead holder's lease alive.
    return datetime.now(UTC)


def take_lease(owner: str, ttl: timedelta = LEASE_TTL) -> bool:
    """Take or renew the scheduler lease for `owner`; False while another holder's lease runs."""
    moment = _wall_clock()
    value = json.dumps({"owner": owner, "expires": (moment + ttl).isoformat()})
    with write_transaction():  # serialised with every writer: two takers never both win
        row = Setting.get_or_none(Setting.key == LEASE_KEY)
        if row is not None:
            held = _lease(row.value)
            if held and held[0] != owner and held[1] > moment:
                return False
            Setting.update(value=value).where(Setting.key == LEASE_KEY).execute()
        else:
            Setting.insert(key=LEASE_KEY, value=value).on_conflict_ignore().execute()
            if Setting.get(Setting.key == LEASE_KEY).value != value:
                return False
    return True


def release_lease(owner: str) -> None:
    """Give the lease up (on shutdown) so a standby scheduler takes over at once."""
    with write_transaction():
        row = Setting.get_or_none(Setting.key == LEASE_KEY)
        if row is not None and (_lease(row.value) or ("",))[0] == owner:
            Setting.delete().where(Setting.key == LEASE_KEY).execute()


def lease_holder() -> str | None:
    """Who holds a running lease now, if anyone."""
    row = Setting.get_or_none(Setting.key == LEASE_KEY)
    held = _lease(row.value) if row else None
    return held[0] if held and held[1] > _wall_clock() else None


def _lease(text: str) -> tuple[str, datetime] | None:
    try:
        data = json.loads(text)
        return data["owner"], datetime.fromisoformat(data["expires"])
    except (ValueError, KeyError, TypeError):
        return None


class _Halt:
    """Set when any of its events is: the scheduler stopping, or this run's lease lost."""

    def __init__(self, *events: threading.Event):
        self.events = events

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)


class Scheduler:
    """The jobs on a BackgroundScheduler; each job body is also a method, callable on its own."""

    def __init__(self, owner: str | None = None, lease_ttl: timedelta = LEASE_TTL):
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_ttl = lease_ttl
        self.stopping = threading.Event()
        self.aps = BackgroundScheduler(timezone=TZ, job_defaults=JOB_DEFAULTS)
        self.aps.add_job(self.run_chase, CronTrigger(hour=9, minute=0, timezone=TZ), id="chase")
        self.aps.add_job(self.run_chase, CronTrigger(hour="8-20", minute=30, timezone=TZ), id="chase-catchup")
        self.aps.add_job(
            self.run_delivery, IntervalTrigger(minutes=1, timezone=TZ), id="deliver", misfire_grace_time=60
        )
        self.aps.add_job(self.run_publish, CronTrigger(hour="0,9", minute=30, timezone=TZ), id="publish")
        self.aps.add_job(self.run_backup, CronTrigger(hour=2, minute=0, timezone=TZ), id="backup")
        self.aps.add_job(self.run_doctor, CronTrigger(hour=3, minute=0, timezone=TZ), id="doctor")

    @property
    def running(self) -> bool:
        return self.aps.running

    def start(self) -> None:
        """Start the jobs; take the lease at once when it is free, so `lease_holder()` names who acts."""
        holds = self._safely("lease", lambda: take_lease(self.owner, self.lease_ttl))
        self.aps.start()
        log.info(
            "scheduler %s started (%s): %s",
            self.owner,
            "holding the lease" if holds else "standing by",
            ", ".join(j.id for j in self.aps.get_jobs()),
        )

    def shutdown(self, wait: bool = True) -> None:
        self.stopping.set()  # a delivery run stops after the message in hand
        if self.aps.running:
            self.aps.shutdown(wait=wait)
        self._safely("release", lambda: release_lease(self.owner))
        log.info("scheduler %s stopped", self.owner)

    def trigger(self, job_id: str) -> None:
        """Run a job as soon as possible (an operator's nudge, or a test), then on its usual times."""
        self.aps.get_job(job_id).modify(next_run_time=datetime.now(TZ))

    # -- job bodies --------------------------------------------------------------------------------

    def run_chase(self) -> list[chasing.ChaseOutcome] | None:
        """Record the chases due now and deliver them; None when another scheduler holds the lease."""

        def work(halt):
            moment = now()
            outcomes = chasing.chase(moment)
            if outcomes:
                log.info("催办: 新建 %d 条", len(outcomes))
            chasing.deliver_pending(moment, stop=halt, owner=self.owner)
            return outcomes

        return self._as_holder("chase", work)

    def run_delivery(self) -> chasing.DeliveryRun | None:
        return self._as_holder(
            "deliver", lambda halt: chasing.deliver_pending(now(), stop=halt, owner=self.owner)
        )

    def run_publish(self) -> Any:
        def work(halt):
            site = importlib.import_module("tracker.site")
            publish_due = getattr(site, "publish_due", None)
            if publish_due is None:
                log.warning("发布: tracker.site.publish_due 尚不存在，本次跳过（发布模块未就绪）")
                return None
            return publish_due(now())

        return self._as_holder("publish", work)

    def run_backup(self) -> Any:
        """The nightly backup, when TRACKER_BACKUP_DIR is set; returns the file written."""
        folder = os.environ.get("TRACKER_BACKUP_DIR", "").strip()
        if not folder:
            return None
        keep = int(os.environ.get("TRACKER_BACKUP_KEEP") or 14)

        def work(halt):
            from tracker.services.backup import nightly

            path, removed = nightly(folder, keep)
            log.info("备份: 已写入 %s,按保留 %d 份删除 %d 份旧备份", path, keep, len(removed))
            return path

        return self._as_holder("backup", work)

    def run_doctor(self) -> Any:
        """`tracker doctor` at night: orphaned evidence files removed, every problem logged."""

        def work(halt):
            from tracker.services import doctor

            report = doctor.run()
            for line in report.lines:
                (log.info if not line.startswith("✗") else log.error)("体检: %s", line)
            return report

        return self._as_holder("doctor", work)

    def _as_holder(self, name: str, work: Callable[[_Halt], Any]) -> Any:
        """Run `work(halt)` if this scheduler holds the lease, renewing it meanwhile; `halt` is set on
        shutdown or when the lease is lost, so a long run stops between messages."""

        def guarded():
            if not take_lease(self.owner, self.lease_ttl):
                log.debug("%s: another scheduler holds the lease; standing by", name)
                return None
            done, lost = threading.Event(), threading.Event()
            keeper = threading.Thread(
                target=self._keep_lease, args=(done, lost), name=f"lease-{name}", daemon=True
            )
            keeper.start()
            try:
                result = work(_Halt(self.stopping, lost))
                audit.write_anchor()  # the head, outside the database, after every run that moved it
                return result
            finally:
                done.set()
                keeper.join()

        return self._safely(name, guarded)

    def _keep_lease(self, done: threading.Event, lost: threading.Event) -> None:
        """Renew the lease every third of its life while a job works, so no standby takes over mid-run."""
        interval = max(self.lease_ttl.total_seconds() / 3, 0.05)
        while not done.wait(interval):
            if not self._safely("renew", lambda: take_lease(self.owner, self.lease_ttl)):
                log.error("scheduler %s lost its lease mid-run; stopping the run", self.owner)
                lost.set()
                return

    def _safely(self, name: str, work: Callable[[], Any]) -> Any:
        try:
            return self._with_database(work)
        except Exception:  # a job must never take the scheduler down; the next run tries again
            log.exception("scheduler %s: %s failed", self.owner, name)
            return None

    @staticmethod
    def _with_database(work: Callable[[], Any]) -> Any:
        opened = db.connect(reuse_if_open=True)  # jobs run on the scheduler's own threads
        try:
            return work()
        finally:
            if opened:
                db.close()


_guard = threading.Lock()
_running: Scheduler | None = None


def start_scheduler(**options) -> Scheduler:
    """Start this process's scheduler, or return the one already running: never two per process."""
    global _running
    with _guard:
        if _running is not None and _running.running:
            log.info("scheduler already running in this process (%s)", _running.owner)
            return _running
        _running = Scheduler(**options)
        _running.start()
        return _running


def stop_scheduler(wait: bool = True) -> None:
    """Stop this process's scheduler, if one runs, and give up its lease."""
    global _running
    with _guard:
        scheduler, _running = _running, None
    if scheduler is not None:
        scheduler.shutdown(wait=wait)


def run_forever(stop: threading.Event | None = None) -> None:
    """`tracker scheduler`: run the jobs until SIGINT or SIGTERM (or `stop` is set)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    scheduler = start_scheduler()
    print(f"tracker: scheduler {scheduler.owner} running (Asia/Shanghai); Ctrl+C to stop", flush=True)
    try:
        while not stop.wait(1):
            pass
    finally:
        stop_scheduler()
