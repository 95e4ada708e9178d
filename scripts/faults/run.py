"""Fault injection: kill -9 during saves, imports, publishes and deliveries; hanging and failing SMTP and
bot sinks; PostgreSQL restarted under a running app. Prints what survived; asserts nothing.

    .venv/bin/python scripts/faults/run.py [--kills 8] [--no-postgres]

- saves: `tracker serve --no-scheduler` on SQLite, then on a PostgreSQL cluster this script starts
  itself (initdb in a temporary folder, as the `postgres` user when run as root); clerks post report
  revisions through the served form while the server is killed with SIGKILL and restarted, and the
  PostgreSQL cluster is restarted (`pg_ctl restart -m immediate`, a crash) twice. Every revision the
  server acknowledged (302) must be in the database afterwards.
- imports: `tracker load` of the shipped plans killed at random moments: each time all plans or none,
  and `tracker audit verify` passes.
- publishes: `tracker publish --force` killed at random moments: the site's SHA256SUMS must describe
  the files beside it right after the kill, and after the next publish.
- deliveries: `tracker remind` killed mid-delivery against slow SMTP and bot sinks, then a run with a
  hanging SMTP server and a bot refusing its key, then a healthy run 11 minutes later: no
  (reminder, recipient) may arrive twice.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import importlib.util
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from local_servers import Mailbox, Webhook  # noqa: E402

from tracker.store.db import init_database  # noqa: E402

spec = importlib.util.spec_from_file_location("bench_submit", ROOT / "scripts/bench/submit.py")
bench = importlib.util.module_from_spec(spec)
sys.modules["bench_submit"] = bench
spec.loader.exec_module(bench)

PYTHON = sys.executable
HOST = "127.0.0.1"
figures = Counter()
rng = random.Random(12)


def log(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def tracker(args: list[str], env: dict, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "tracker.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **kwargs,
    )


def verify(env: dict) -> bool:
    done = subprocess.run([PYTHON, "-m", "tracker.cli", "audit", "verify"], env=env, capture_output=True)
    return done.returncode == 0


def wait_ready(port: int, proc: subprocess.Popen, limit: float = 60) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


# -- a PostgreSQL cluster of our own ------------------------------------------------------------------


class Cluster:
    """A throwaway PostgreSQL cluster on a free port, restartable like a crash."""

    def __init__(self, folder: Path):
        self.bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        self.data, self.port = folder / "pgdata", free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        folder.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_user, str(self.bin / tool), *args], check=True, capture_output=True)

    def ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses={HOST} -c fsync=on"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.data / "log"), "-w", *args)

    def url(self, name: str = "postgres") -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/{name}"


# -- saves under kill -9 --------------------------------------------------------------------------------


def saves(url: str, label: str, kills: int, folder: Path, restart=None) -> None:
    clients = bench.prepare(url, 4)
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_NOW": bench.NOW,
        "TRACKER_INSTANCE": str(folder / "instance"),
    }
    port = free_port()
    server = tracker(["serve", "--no-scheduler", "--port", str(port)], env)
    if not wait_ready(port, server):
        raise SystemExit(f"{label}: the server did not start")
    for client in clients:
        bench.sign_in(port, client)
    acknowledged, lock, stop = set(), threading.Lock(), threading.Event()

    def clerk(index: int, client) -> None:
        session, seq = None, 0
        while not stop.is_set():
            assignment_id = client.assignments[seq % len(client.assignments)]
            try:
                if session is None:
                    session = bench.Session(port, client.cookie)
                if assignment_id not in client.forms:
                    bench.load_form(session, client, assignment_id)
                version = client.versions[assignment_id]
                marker = f"故障测试 {label} {index}-{seq}"
                body = {**client.forms[assignment_id], "percent": "50", "narrative": marker}
                body.update(expected=str(version), save="提交")
                status, location, _ = session.request(
                    "POST", bench.report_path(assignment_id), body, keep_cookie=False
                )
            except (OSError, RuntimeError, http.client.HTTPException):
                # The server died under us: the outcome is unknown, so the form is read again.
                if session is not None:
                    session.close()
                session = None
                client.forms.pop(assignment_id, None)
                time.sleep(0.2)
                continue
            seq += 1
            if status == 302:
                with lock:
                    acknowledged.add(marker)
                client.versions[assignment_id] = version + 1
            else:
                client.forms.pop(assignment_id, None)  # 409 or 503: read the latest version again
        if session is not None:
            session.close()

    threads = [threading.Thread(target=clerk, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    restarts_at = {kills // 3, (2 * kills) // 3} if restart else set()
    try:
        for k in range(kills):
            time.sleep(rng.uniform(0.6, 1.6))
            server.send_signal(signal.SIGKILL)
            server.wait()
            figures["kills"] += 1
            if k in restarts_at:
                restart()
                figures["postgres restarts"] += 1
            server = tracker(["serve", "--no-scheduler", "--port", str(port)], env)
            if wait_ready(port, server):
                figures["kills survived"] += 1
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join()
        server.terminate()
        server.wait(timeout=30)
    from tracker.store.models import ReportRevision

    database = init_database(url)
    present = {r.narrative for r in ReportRevision.select(ReportRevision.narrative)}
    database.close_all()
    lost = acknowledged - present
    figures["acknowledged saves"] += len(acknowledged)
    figures["acknowledged saves lost"] += len(lost)
    ok = verify(env)
    figures["audit chains broken"] += 0 if ok else 1
    log(
        f"saves ({label}): {kills} kills, {len(acknowledged)} acknowledged, {len(lost)} lost, audit {'ok' if ok else 'BROKEN'}"
    )


# -- imports under kill -9 ------------------------------------------------------------------------------


def imports(kills: int, folder: Path) -> None:
    plans = sorted(str(p) for p in (ROOT / "measures").glob("*.yaml"))
    consistent = 0
    for k in range(kills):
        db_file = folder / f"import-{k}.db"
        env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{db_file}"}
        subprocess.run([PYTHON, "-m", "tracker.cli", "init"], env=env, check=True, capture_output=True)
        load = tracker(["load", *plans], env)
        time.sleep(rng.uniform(0.5, 2.5))
        load.send_signal(signal.SIGKILL)
        load.wait()
        figures["kills"] += 1
        from tracker.store.models import Plan

        database = init_database(env["TRACKER_DATABASE_URL"])
        count = Plan.select().count()
        database.close_all()
        if count in (0, len(plans)) and verify(env):
            consistent += 1
            figures["kills survived"] += 1
        else:
            figures["partial imports"] += 1
    log(f"imports: {kills} kills, {consistent} left all plans or none with a sound audit chain")


# -- publishes under kill -9 ----------------------------------------------------------------------------


def site_consistent(folder: Path) -> bool:
    sums = folder / "SHA256SUMS"
    if not sums.exists():
        return True
    listed = dict(reversed(line.split("  ", 1)) for line in sums.read_text("utf-8").splitlines())
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    return set(listed) == files and all(
        hashlib.sha256((folder / rel).read_bytes()).hexdigest() == d for rel, d in listed.items()
    )


def publishes(url: str, kills: int, folder: Path) -> None:
    from tracker.store.models import Plan

    site = folder / "site"
    env = {**os.environ, "TRACKER_DATABASE_URL": url}
    command = ["publish", "--plan", "xunyi-2024", "--period", "2024-04", "--out", str(site), "--force"]
    subprocess.run([PYTHON, "-m", "tracker.cli", *command], env=env, capture_output=True)
    right_after = after_next = 0
    for k in range(kills):
        database = init_database(url)
        Plan.update(title=f"旬邑县“十大提升行动”任务分工(第{k}次更正)").where(
            Plan.code == "xunyi-2024"
        ).execute()
        database.close_all()
        run = tracker(command, env)
        time.sleep(rng.uniform(0.3, 2.0))
        run.send_signal(signal.SIGKILL)
        run.wait()
        figures["kills"] += 1
        figures["publications checked"] += 1
        if not site_consistent(site / "xunyi-2024"):
            right_after += 1
        again = subprocess.run([PYTHON, "-m", "tracker.cli", *command], env=env, capture_output=True)
        if again.returncode == 0 and site_consistent(site / "xunyi-2024"):
            figures["kills survived"] += 1
        else:
            after_next += 1
    figures["inconsistent publications (right after a kill)"] += right_after
    figures["inconsistent publications (after the next publish)"] += after_next
    log(
        f"publishes: {kills} kills, {right_after} inconsistent right after, {after_next} after the next publish"
    )


# -- deliveries under kill -9, hanging and failing sinks ----------------------------------------------------


def deliveries(kills: int, folder: Path) -> None:
    from tracker.plans.load import load_plans
    from tracker.services.users import add_user
    from tracker.store.migrations import upgrade
    from tracker.store.models import Delivery, Unit

    url = f"sqlite:///{folder / 'deliver.db'}"
    database = init_database(url)
    upgrade()
    load_plans(sorted((ROOT / "measures").glob("*.yaml")))
    for i, unit in enumerate(Unit.select().where(Unit.kind != "group").order_by(Unit.id).limit(12)):
        add_user(
            f"clerk{i}",
            "reporter",
            unit.name,
            "fault-password-2024",
            email=f"c{i}@example.org",
            must_change=False,
        )
    database.close_all()
    mailbox, webhook = Mailbox().start(), Webhook().start()
    at = datetime.fromisoformat("2024-05-26T09:00:00+08:00")
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_NOW": at.isoformat(),
        "TRACKER_SMTP_HOST": HOST,
        "TRACKER_SMTP_PORT": str(mailbox.port),
        "TRACKER_WEBHOOK_URL": webhook.url,
        "TRACKER_DELIVERY_TIMEOUT": "1",
    }
    try:
        mailbox.delay = webhook.delay = 0.15  # slow sinks: a kill lands mid-delivery
        for _ in range(kills):
            run = tracker(["remind"], env)
            time.sleep(rng.uniform(0.8, 2.0))
            run.send_signal(signal.SIGKILL)
            run.wait()
            figures["kills"] += 1
            figures["kills survived"] += 1  # counted as lost below if anything arrives twice
        # A hanging SMTP server (answers after the timeout) and a bot refusing its key.
        mailbox.delay, webhook.delay, webhook.errcode = 2.5, 0, 93000
        env["TRACKER_NOW"] = (at + timedelta(minutes=20)).isoformat()
        subprocess.run([PYTHON, "-m", "tracker.cli", "remind"], env=env, capture_output=True, timeout=300)
        mailbox.delay, webhook.errcode = 0, 0
        for minutes in (40, 60, 120, 300):  # healthy sinks: everything still pending goes out
            env["TRACKER_NOW"] = (at + timedelta(minutes=minutes)).isoformat()
            subprocess.run([PYTHON, "-m", "tracker.cli", "remind"], env=env, capture_output=True, timeout=300)
        mails = mailbox.received()
        posts = Counter(webhook.texts())
        duplicates = sum(n - 1 for n in mails.values() if n > 1) + sum(n - 1 for n in posts.values() if n > 1)
        figures["messages delivered"] += sum(mails.values()) + sum(posts.values())
        figures["duplicate sends"] += duplicates
        database = init_database(url)
        states = Counter(
            d.status for d in Delivery.select(Delivery.status).where(Delivery.channel != "in_app")
        )
        database.close_all()
        log(
            f"deliveries: {kills} kills, {sum(mails.values())} emails and {sum(posts.values())} bot messages "
            f"arrived, {duplicates} twice; outbox {dict(states)}"
        )
    finally:
        time.sleep(3)  # let the hanging SMTP handler finish before its loop stops
        mailbox.stop()
        webhook.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args()
    began = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="tracker-faults-"))
    if os.geteuid() == 0:
        os.chmod(folder, 0o755)
    cluster = None
    try:
        sqlite_url = f"sqlite:///{folder / 'saves.db'}"
        saves(sqlite_url, "SQLite", options.kills, folder / "sqlite")
        if (
            not options.no_postgres
            and shutil.which("runuser")
            and list(Path("/usr/lib/postgresql").glob("*/bin"))
        ):
            cluster = Cluster(folder / "cluster")
            cluster.ctl("start")
            subprocess.run(
                [
                    *cluster.as_user,
                    str(cluster.bin / "createdb"),
                    "-h",
                    HOST,
                    "-p",
                    str(cluster.port),
                    "-U",
                    "postgres",
                    "faults",
                ],
                check=True,
                capture_output=True,
            )
            saves(
                cluster.url("faults"),
                "PostgreSQL",
                options.kills,
                folder / "pg",
                restart=lambda: cluster.ctl("restart", "-m", "immediate"),
            )
        imports(max(3, options.kills // 2), folder / "imports")
        publishes(sqlite_url, max(3, options.kills // 2), folder / "publish")
        deliveries(3, folder / "deliver")
    finally:
        if cluster is not None:
            cluster.ctl("stop", "-m", "fast")
        shutil.rmtree(folder, ignore_errors=True)
    print()
    print(f"kills survived / kills: {figures['kills survived']} / {figures['kills']}")
    print(f"PostgreSQL restarts: {figures['postgres restarts']}")
    print(
        f"acknowledged writes lost: {figures['acknowledged saves lost']} of {figures['acknowledged saves']}"
    )
    print(f"partial imports: {figures['partial imports']}")
    print(f"duplicate sends: {figures['duplicate sends']} of {figures['messages delivered']} delivered")
    print(
        "inconsistent publications: "
        f"{figures['inconsistent publications (right after a kill)']} right after a kill, "
        f"{figures['inconsistent publications (after the next publish)']} after the next publish, "
        f"of {figures['publications checked']}"
    )
    print(f"audit chains broken: {figures['audit chains broken']}")
    print(f"took {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
